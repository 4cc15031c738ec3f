"""Value types for money (yuan, 2 places) and service hours (0.5 h steps).

Both are immutable Decimal wrappers that refuse floats and anything finer than their step, so a
rounding error cannot enter through arithmetic or parsing.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from functools import total_ordering
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed, lazy_format
from .numbers import number_text

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

CENT = Decimal("0.01")
HALF_HOUR = Decimal("0.5")


def _to_decimal(value: Any, *, what: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{what} must not be built from float; use str or Decimal")
    if isinstance(value, bool):
        raise TypeError(f"{what} must not be built from bool")
    if isinstance(value, str):
        return number_text(value, field="amount" if what == "Money" else "hours", currency=what == "Money")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed("invalid_number", lazy_format(_("“%(value)s” is not a number."), {"value": value})) from None
    if not number.is_finite():
        raise ValidationFailed("invalid_number", lazy_format(_("“%(value)s” is not a number."), {"value": value}))
    return number


@total_ordering
class Money:
    """An amount of CNY in yuan with exactly two decimal places."""

    __slots__ = ("amount",)
    amount: Decimal

    def __init__(self, value: Any = 0) -> None:
        if isinstance(value, Money):
            object.__setattr__(self, "amount", value.amount)
            return
        number = _to_decimal(value, what="Money")
        if number != number.quantize(CENT):
            raise ValidationFailed(
                "money_precision", lazy_format(_("An amount has at most two decimal places (fen): %(value)s."), {"value": value})
            )
        object.__setattr__(self, "amount", number.quantize(CENT))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Money is immutable")

    @classmethod
    def from_fen(cls, fen: int) -> Money:
        return cls(Decimal(int(fen)) / 100)

    @property
    def fen(self) -> int:
        return int(self.amount * 100)

    def _coerce(self, other: Any) -> Money:
        return other if isinstance(other, Money) else Money(other)

    def __add__(self, other: Any) -> Money:
        return Money(self.amount + self._coerce(other).amount)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Money:
        return Money(self.amount - self._coerce(other).amount)

    def __rsub__(self, other: Any) -> Money:
        return Money(self._coerce(other).amount - self.amount)

    def __neg__(self) -> Money:
        return Money(-self.amount)

    def __mul__(self, factor: Any) -> Money:
        """Multiply by a ratio, rounding down to the fen (a match never exceeds its ratio)."""
        ratio = _to_decimal(factor, what="ratio")
        return Money((self.amount * ratio).quantize(CENT, rounding=ROUND_FLOOR))

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Money):
            return self.amount == other.amount
        if isinstance(other, int | Decimal):
            return self.amount == other
        return NotImplemented

    def __lt__(self, other: Any) -> bool:
        return self.amount < self._coerce(other).amount

    def __hash__(self) -> int:
        return hash(("Money", self.amount))

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __repr__(self) -> str:
        return f"Money('{self.amount}')"

    def __str__(self) -> str:
        return f"¥{self.amount:,.2f}"

    def is_positive(self) -> bool:
        return self.amount > 0


@total_ordering
class Hours:
    """Service hours in steps of half an hour."""

    __slots__ = ("value",)
    value: Decimal

    def __init__(self, value: Any = 0) -> None:
        if isinstance(value, Hours):
            object.__setattr__(self, "value", value.value)
            return
        number = _to_decimal(value, what="Hours")
        if (number / HALF_HOUR) != (number / HALF_HOUR).to_integral_value():
            raise ValidationFailed("hours_step", lazy_format(_("Hours are counted in steps of 0.5: %(value)s."), {"value": value}))
        object.__setattr__(self, "value", number.quantize(Decimal("0.1")))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Hours is immutable")

    @classmethod
    def floor(cls, value: Any) -> Hours:
        """Round a duration in hours down to the half hour (covered time counts only in full steps)."""
        number = _to_decimal(value, what="Hours")
        steps = (number / HALF_HOUR).to_integral_value(rounding=ROUND_FLOOR)
        return cls(steps * HALF_HOUR)

    @classmethod
    def from_seconds(cls, seconds: int | float) -> Hours:
        return cls.floor(Decimal(int(seconds)) / Decimal(3600))

    def _coerce(self, other: Any) -> Hours:
        return other if isinstance(other, Hours) else Hours(other)

    def __add__(self, other: Any) -> Hours:
        return Hours(self.value + self._coerce(other).value)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Hours:
        return Hours(self.value - self._coerce(other).value)

    def __neg__(self) -> Hours:
        return Hours(-self.value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Hours):
            return self.value == other.value
        if isinstance(other, int | Decimal):
            return self.value == other
        return NotImplemented

    def __lt__(self, other: Any) -> bool:
        return self.value < self._coerce(other).value

    def __hash__(self) -> int:
        return hash(("Hours", self.value))

    def __bool__(self) -> bool:
        return bool(self.value)

    def __repr__(self) -> str:
        return f"Hours('{self.value}')"

    def __str__(self) -> str:
        return f"{self.value:.1f} h"


class MoneyField(models.DecimalField):
    """A column of yuan with two decimal places, read back as `Money`."""

    description = _("Amount in yuan")
    # What django-stubs takes this field to accept and return.
    _pyi_private_set_type: Money | Decimal | str | int | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Money  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs["decimal_places"] = 2
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("decimal_places", None)
        if kwargs.get("max_digits") == 18:
            kwargs.pop("max_digits")
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Money | None:
        return None if value is None else Money(Decimal(value).quantize(CENT))

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, Money):
            return value
        return Money(super().to_python(value))

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Money):
            value = value.amount
        value = super().get_prep_value(value)  # (DecimalField runs to_python again, which gives Money)
        return value.amount if isinstance(value, Money) else value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        return value.amount if isinstance(value, Money) else value

    def run_validators(self, value: Any) -> None:
        super().run_validators(value.amount if isinstance(value, Money) else value)


class HoursField(models.DecimalField):
    """A column of hours in 0.5 steps, read back as `Hours`."""

    description = _("Service hours")
    _pyi_private_set_type: Hours | Decimal | str | int | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Hours  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs["decimal_places"] = 1
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("decimal_places", None)
        if kwargs.get("max_digits") == 12:
            kwargs.pop("max_digits")
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Hours | None:
        return None if value is None else Hours(Decimal(value))

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, Hours):
            return value
        return Hours(super().to_python(value))

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Hours):
            value = value.value
        value = super().get_prep_value(value)
        return value.value if isinstance(value, Hours) else value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        return value.value if isinstance(value, Hours) else value

    def run_validators(self, value: Any) -> None:
        super().run_validators(value.value if isinstance(value, Hours) else value)


def fen_sum(field: str, filter: Any = None) -> Any:
    """SUM of a money column as whole fen: exact on PostgreSQL and on SQLite, where a plain SUM of
    decimals runs in binary floating point. Turn the result back with `Money.from_fen`. `filter` (a Q)
    sums only the rows it matches, so several sums over one table come from one query."""
    from django.db.models import BigIntegerField, F, Sum
    from django.db.models.functions import Cast, Round

    return Sum(Cast(Round(F(field) * 100), BigIntegerField()), filter=filter)
