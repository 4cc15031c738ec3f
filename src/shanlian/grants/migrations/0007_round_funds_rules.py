"""An award has a fund exactly when it is funded; the round's reservation lives in its funds' rows alone."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("grants", "0006_round_funds_data")]

    operations = [
        migrations.AddConstraint(
            model_name='result',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('fund__isnull', False), ('funded', True)), models.Q(('fund__isnull', True), ('funded', False)), _connector='OR'), name='grants_result_fund_iff_funded'),
        ),
        migrations.RemoveField(
            model_name='grantround',
            name='hold',
        ),
    ]
