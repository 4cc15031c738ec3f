"""The Django admin shows charity money to staff superusers and lets nobody change it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from shanlian.charity import services as cs
from shanlian.charity.models import Donation


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "Shanlian-test-2026")


@pytest.mark.parametrize("model", ["communityfund", "project", "campaign", "matchpool", "donation", "payout", "receipt"])
def test_lists_open_and_nothing_is_editable(client, superuser, books, city, model):
    gift = cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="10", channel="cash", donor_name="x")
    cs.receipt_issue(actor=city.users["finance"], donation=gift)
    client.force_login(superuser)
    assert client.get(reverse(f"admin:charity_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:charity_{model}_add")).status_code == 403


def test_a_gift_cannot_be_changed_or_deleted_in_the_admin(client, superuser, books, city):
    gift = cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="10", channel="cash", donor_name="x")
    client.force_login(superuser)
    page = client.get(reverse("admin:charity_donation_change", args=[gift.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    client.post(reverse("admin:charity_donation_change", args=[gift.pk]), {"amount": "99.00"})
    client.post(reverse("admin:charity_donation_delete", args=[gift.pk]), {"post": "yes"})
    assert Donation.objects.get(pk=gift.pk).amount == gift.amount
