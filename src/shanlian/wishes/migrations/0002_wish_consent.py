"""Each wish names the consent it was posted under; wishes posted before are linked to the consent that allowed them
(the beneficiary's wish consent to donors given by the day it was posted, the longest-lasting), else none: off the wall."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def link(apps, schema_editor):
    Wish = apps.get_model("wishes", "Wish")
    Consent = apps.get_model("cases", "Consent")
    for wish in Wish.objects.filter(consent__isnull=True).iterator():
        posted = timezone.localdate(wish.registered_at)
        covering = [c for c in Consent.objects.filter(beneficiary_id=wish.beneficiary_id, purpose="wish", given_on__lte=posted)
                    .order_by("-expires_on", "-id") if "donor" in c.recipients]
        if covering:
            Wish.objects.filter(pk=wish.pk).update(consent=covering[0])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_seed_instruments'),
        ('wishes', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='wish',
            name='consent',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.consent', verbose_name='posted under consent'),
        ),
        migrations.RunPython(link, migrations.RunPython.noop),
    ]
