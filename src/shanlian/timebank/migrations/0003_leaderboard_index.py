"""The station leaderboard's own index: a station's volunteers with approved hours in exactly the order the
leaderboard shows them (most hours first, then the newest volunteer), so that the top 20 of a station with
10,000 volunteers are the first 20 index entries, with no sort of the tied rows (bench/timebank.py).

Plain SQL (PostgreSQL and SQLite both take a partial index with descending keys) so that the model state is
unchanged: `timebank_vol_station_hours` (station, approved_hours) stays for the station figures."""

from django.db import migrations

CREATE = ("CREATE INDEX IF NOT EXISTS timebank_vol_leaderboard ON timebank_volunteer (station_id, approved_hours DESC, id DESC) "
          "WHERE approved_hours > 0")
DROP = "DROP INDEX IF EXISTS timebank_vol_leaderboard"


class Migration(migrations.Migration):

    dependencies = [
        ("timebank", "0002_service_certificate"),
    ]

    operations = [
        migrations.RunSQL(CREATE, DROP),
    ]
