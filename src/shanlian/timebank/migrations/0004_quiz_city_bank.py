"""The city question bank: a quiz question without a station is drawn for every station. A question drawn
into a paper is marked (`drawn_at`), from then on retired rather than deleted and replaced by a new version
when edited; questions already in papers are marked here. The same question text is active once per bank
(a later active duplicate within one station's bank, if any, is retired here so the constraint can hold)."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


def mark_drawn(apps, schema_editor):
    Question = apps.get_model("timebank", "QuizQuestion")
    Attempt = apps.get_model("timebank", "QuizAttempt")
    first: dict[int, object] = {}
    for started_at, ids in Attempt.objects.order_by("started_at", "id").values_list("started_at", "question_ids").iterator():
        for qid in ids or []:
            first.setdefault(qid, started_at)
    by_time: dict[object, list[int]] = {}
    for qid, when in first.items():
        by_time.setdefault(when, []).append(qid)
    for when, ids in by_time.items():
        for n in range(0, len(ids), 500):
            Question.objects.filter(pk__in=ids[n:n + 500]).update(drawn_at=when)
    seen: set[tuple[object, str]] = set()
    for pk, station_id, text in Question.objects.filter(active=True).order_by("id").values_list("pk", "station_id", "text").iterator():
        if (station_id, text) in seen:
            Question.objects.filter(pk=pk).update(active=False)
        seen.add((station_id, text))


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0001_initial'),
        ('timebank', '0003_leaderboard_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='quizquestion',
            name='drawn_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='first drawn into a paper'),
        ),
        migrations.AlterField(
            model_name='quizquestion',
            name='active',
            field=models.BooleanField(default=True, verbose_name='in use'),
        ),
        migrations.AlterField(
            model_name='quizquestion',
            name='station',
            field=models.ForeignKey(blank=True, help_text='Empty: the city bank, drawn for every station.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='quiz_questions', to='orgs.station', verbose_name='station'),
        ),
        migrations.RunPython(mark_drawn, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='quizquestion',
            constraint=models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('station', models.Value(0)), models.F('text'), condition=models.Q(('active', True)), name='timebank_quiz_question_once'),
        ),
    ]
