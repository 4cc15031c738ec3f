from decimal import Decimal

import pytest

from shanlian.core.errors import ValidationFailed
from shanlian.core.money import Hours, Money


def test_money_keeps_two_places_and_formats_yuan():
    assert Money("12.5").amount == Decimal("12.50")
    assert str(Money("1234567.8")) == "¥1,234,567.80"
    assert Money("0.1") + Money("0.2") == Money("0.30")
    assert Money.from_fen(12345) == Money("123.45")
    assert Money("99.99").fen == 9999


@pytest.mark.parametrize("bad", ["1.001", "0.005", "abc", "NaN", "Infinity", ""])
def test_money_refuses_more_than_two_places_or_non_numbers(bad):
    with pytest.raises(ValidationFailed) as exc:
        Money(bad)
    assert exc.value.code in {"money_precision", "invalid_number"}


def test_money_refuses_float():
    with pytest.raises(TypeError):
        Money(0.1)


def test_money_ratio_rounds_down_to_the_fen():
    assert Money("33.33") * Decimal("0.5") == Money("16.66")
    assert Money("10.00") * "1" == Money("10.00")


def test_money_is_immutable_and_ordered():
    m = Money("5")
    with pytest.raises(AttributeError):
        m.amount = Decimal("6")  # type: ignore[misc]
    assert Money("5") < Money("5.01") and Money("-1") < 0 and not Money("0")


def test_hours_half_hour_steps():
    assert Hours("1.5") + Hours("2") == Hours("3.5")
    with pytest.raises(ValidationFailed) as exc:
        Hours("1.25")
    assert exc.value.code == "hours_step"


def test_hours_floor_rounds_covered_time_down():
    assert Hours.floor("2.99") == Hours("2.5")
    assert Hours.from_seconds(3 * 3600 - 1) == Hours("2.5")
    assert Hours.from_seconds(1799) == Hours(0)
    assert str(Hours("8")) == "8.0 h"
