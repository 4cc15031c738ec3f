"""A campaign's progress counters: the one rule for adding to them, used by every path that records or refunds a gift.

The counters are spread over `CHARITY_TALLY_SLOTS` rows per campaign, so that concurrent writers on Giving Day do
not queue on one row: each addition goes to a slot picked at random (progress is the sum of the slots)."""

from __future__ import annotations

import random

from django.db.models import F

from shanlian.core.conf import domain_setting

from .models import CampaignTally


def tally_add(campaign_id: int, fen: int, gifts: int) -> None:
    """Add whole fen and a number of gifts (negative for a refund) to one of the campaign's slots, picked at random."""
    slot = random.randrange(domain_setting("CHARITY_TALLY_SLOTS"))
    rows = CampaignTally.objects.filter(campaign_id=campaign_id, slot=slot)
    if not rows.update(fen=F("fen") + fen, gifts=F("gifts") + gifts):
        CampaignTally.objects.bulk_create([CampaignTally(campaign_id=campaign_id, slot=slot)], ignore_conflicts=True)
        rows.update(fen=F("fen") + fen, gifts=F("gifts") + gifts)
