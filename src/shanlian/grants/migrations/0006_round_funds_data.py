"""Existing rounds get their one fund's row, with its reservation; their awards, that fund."""

from django.db import migrations, models


def forward(apps, schema_editor):
    GrantRound, RoundFund, Result = (apps.get_model("grants", m) for m in ("GrantRound", "RoundFund", "Result"))
    RoundFund.objects.bulk_create([RoundFund(round_id=r.pk, fund_id=r.fund_id, share=r.budget, hold_id=r.hold_id)
                                   for r in GrantRound.objects.all()])
    for r in GrantRound.objects.all():
        Result.objects.filter(round_id=r.pk, funded=True).update(fund_id=r.fund_id)


def backward(apps, schema_editor):
    GrantRound, RoundFund = apps.get_model("grants", "GrantRound"), apps.get_model("grants", "RoundFund")
    for rf in RoundFund.objects.filter(fund_id=models.F("round__fund_id")):
        GrantRound.objects.filter(pk=rf.round_id).update(hold_id=rf.hold_id)


class Migration(migrations.Migration):

    dependencies = [("grants", "0005_round_funds")]

    operations = [migrations.RunPython(forward, backward)]
