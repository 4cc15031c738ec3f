"""A round draws on one or more funds of a street: each fund's share and reservation (RoundFund), and the fund that
pays each award (Result.fund): the tables (0006 fills them, 0007 adds the rules and drops the round's own hold)."""

import django.db.models.deletion
import shanlian.core.money
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('charity', '0010_project_by_agreement'),
        ('grants', '0004_ballot_turnout_index'),
        ('ledger', '0008_balance_check_per_statement'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RoundFund',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('share', shanlian.core.money.MoneyField(verbose_name='share of the budget')),
            ],
            options={
                'verbose_name': 'fund of a round',
                'verbose_name_plural': 'funds of a round',
                'ordering': ['round', 'id'],
            },
        ),
        migrations.AddField(
            model_name='result',
            name='fund',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='charity.communityfund', verbose_name='paid from'),
        ),
        migrations.AddField(
            model_name='roundfund',
            name='fund',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='charity.communityfund', verbose_name='fund'),
        ),
        migrations.AddField(
            model_name='roundfund',
            name='hold',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.hold', verbose_name='reservation'),
        ),
        migrations.AddField(
            model_name='roundfund',
            name='round',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='funds', to='grants.grantround', verbose_name='round'),
        ),
        migrations.AddConstraint(
            model_name='roundfund',
            constraint=models.UniqueConstraint(fields=('round', 'fund'), name='grants_round_fund_once'),
        ),
        migrations.AddConstraint(
            model_name='roundfund',
            constraint=models.CheckConstraint(condition=models.Q(('share__gt', 0)), name='grants_round_fund_share_positive'),
        ),
    ]
