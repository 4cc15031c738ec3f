"""Instruments are data: these functions check an instrument's own shape, check answers against it and compute the score
and band. Every path (pages, API, demo, the benchmark's builder) scores through `score`, so the rule lives once."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import ValidationFailed

from .models import Instrument


def shape_problems(instrument: Instrument) -> list[str]:
    """What is wrong with an instrument's data (items with options and scores, bands covering every reachable score)."""
    problems = []
    keys = [item.get("key") for item in instrument.items]
    if not keys or len(set(keys)) != len(keys):
        problems.append("items must have unique keys")
    low = high = 0
    for item in instrument.items:
        scores = [o.get("score") for o in item.get("options", [])]
        values = [o.get("value") for o in item.get("options", [])]
        if not scores or len(set(values)) != len(values) or not all(isinstance(s, int) for s in scores):
            problems.append(f"item {item.get('key')}: options need unique values and whole scores")
            continue
        low, high = low + min(scores), high + max(scores)
    if (low, high) != (instrument.min_score, instrument.max_score):
        problems.append(f"items add up to {low}..{high}, not {instrument.min_score}..{instrument.max_score}")
    for total in range(instrument.min_score, instrument.max_score + 1):
        if sum(1 for b in instrument.bands if b["min"] <= total <= b["max"]) != 1:
            problems.append(f"score {total} is in no band or in several")
            break
    return problems


def score(instrument: Instrument, answers: Any) -> int:
    """The score of a complete set of answers ({item key: option value}); every item answered, only its options."""
    if not isinstance(answers, dict):
        raise ValidationFailed("invalid_answers", _("Answer every item of the instrument."), fields={"answers": [
            ("invalid_answers", _("Answer every item of the instrument."))]})
    fields: dict[str, list[Any]] = {}
    keys = {item["key"] for item in instrument.items}
    for extra in sorted(set(answers) - keys)[:5]:
        fields.setdefault(str(extra)[:40], []).append(("unknown_item", _("This is not an item of the instrument.")))
    total = 0
    for item in instrument.items:
        given = answers.get(item["key"])
        chosen = next((o for o in item["options"] if given is not None and o["value"] == str(given)), None)
        if given in (None, ""):
            fields.setdefault(item["key"], []).append(("answer_required", _("Answer this item.")))
        elif chosen is None:
            fields.setdefault(item["key"], []).append(("invalid_answer", _("Choose one of the item's options.")))
        else:
            total += int(chosen["score"])
    if fields:
        code = next(iter(fields.values()))[0][0]
        raise ValidationFailed(code, _("Answer every item of the instrument with one of its options."), fields=fields)
    return total


def band(instrument: Instrument, total: int) -> str:
    """The band's Chinese label (stored); `band_label` shows it in the reader's language."""
    for b in instrument.bands:
        if b["min"] <= total <= b["max"]:
            return str(b["label"])
    return ""


def band_label(instrument: Instrument, label: str) -> str:
    if (translation.get_language() or "").startswith("en"):
        for b in instrument.bands:
            if b["label"] == label:
                return str(b.get("label_en") or label)
    return label


def text(entry: dict[str, Any], key: str) -> str:
    if (translation.get_language() or "").startswith("en") and entry.get(f"{key}_en"):
        return str(entry[f"{key}_en"])
    return str(entry[key])


def reached(instrument: Instrument, after: int, target: int) -> bool:
    return after >= target if instrument.higher_is_better else after <= target


def improved(instrument: Instrument, before: int, after: int) -> bool:
    return after > before if instrument.higher_is_better else after < before
