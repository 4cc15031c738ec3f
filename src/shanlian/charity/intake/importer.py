"""Bulk import of a Giving-Day export (CSV or XLSX): every row is checked first; one bad row and
nothing is written. The rules (`shanlian charity import --help` shows them too):

- Columns, by header (English or Chinese, any order; other columns are ignored): external id
  (外部编号 / 流水号), time (时间 / 捐赠时间), donor (捐赠人; empty means anonymous), amount (金额),
  campaign or fund (项目 / 活动 / 基金), match (配捐; optional, 0 when absent or empty).
- CSV is UTF-8 (with or without BOM) or GB18030, told apart by whether the bytes are valid UTF-8.
  XLSX: the first sheet. Row numbers in the report are the sheet's: the header is row 1.
- Times: ISO 8601 or "2026-09-05 10:23:11" ("/" between date parts is accepted too); a time without
  an offset is Asia/Shanghai. A gift may not be in the future, and a campaign gift must lie inside
  the campaign's period.
- Where the money goes (the "campaign or fund" cell): a fund code gives to that fund's general money;
  a campaign code gives to the one fund the campaign raises for without naming a project (a campaign
  with no such target, or several, is an error: write "CAMPAIGN/FUND" to name the fund); "CAMPAIGN/FUND"
  gives to that fund in that campaign. The fund must be open, the campaign open (a closed or draft
  campaign is an error). Restricted gifts to a project are not imported.
- Matches: only in a campaign with an active matching pool. The platform already applied the caps
  per donor (its donor ids are not ours, so they are not checked again); what is checked is that the
  matches fit what each pool still holds (balance not held by anything else), its total cap, and its
  cap per day (Asia/Shanghai days, counting matches already recorded that day). Each row's match is
  drawn whole from the first active pool of the campaign (by id) that has room for it.
- Idempotent by (source, external id): a row already imported with the same content counts as
  "already there"; with different content it is an error (idempotency_mismatch) and nothing is written.

Writing: see `importer_write` (all the rows in one transaction, through the gift writer `intake.writer`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import ValidationFailed, lazy_format
from shanlian.core.i18n import site_day
from shanlian.core.inputs import amount_in, earliest_date, limit, text_problem
from shanlian.core.money import Money

from ..models import (
    Channel,
    Donation,
)
from ..services.donations import ANONYMOUS, gift_limit
from .importer_read import cell_text, columns_map, file_error, sheet_open
from .rows import GiftRow
from .rules import AHEAD, PoolRoom, Problem, same_gift, stored_gifts, target_problems
from .targets import Target, Targets

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CHECK_CHUNK = 5000  # rows read, then checked against the database together
MAX_EXTERNAL_ID = 128
MAX_DONOR_NAME = Donation._meta.get_field("donor_name").max_length or 128

_SOURCE = re.compile(r"[A-Za-z0-9._-]{1,32}")  # Donation.source is 32 characters

# What each check says. Every message is a whole sentence fragment shown after "row N:".
MESSAGES: dict[str, Promise] = {
    "external_id_missing": _("the external id is missing"),
    "external_id_too_long": _("the external id “%(value)s” is longer than 128 characters"),
    "time_missing": _("the time is missing"),
    "external_id_duplicate": _("the external id “%(value)s” appears again (first in row %(first)s)"),
    "invalid_time": _("the time “%(value)s” is not a date and time such as 2026-09-05 10:23:11"),
    "time_too_early": _("the time %(value)s is before %(first)s, the first day these books hold"),
    "donor_too_long": _("the donor's name is longer than %(max)s characters"),
    "donor_nul_character": _("the donor's name contains a NUL character (\\0)"),
    "donor_control_character": _("the donor's name contains invisible control or direction characters"),
    "donor_invalid_character": _("the donor's name contains characters that are not valid Unicode"),
    "received_in_future": _("the time %(value)s is in the future"),
    "campaign_out_of_period": _("the time %(value)s is outside the campaign's period (%(start)s to %(end)s)"),
    "invalid_number": _("the amount “%(value)s” is not a number"),
    "money_precision": _("the amount “%(value)s” has more than two decimals"),
    "amount_not_positive": _("the amount “%(value)s” is not above zero"),
    "amount_too_large": _("the amount “%(value)s” is above the limit of ¥%(max)s for one gift"),
    "match_too_large": _("the match “%(value)s” is above the limit of ¥%(max)s for one gift"),
    "match_invalid_number": _("the match “%(value)s” is not a number"),
    "match_precision": _("the match “%(value)s” has more than two decimals"),
    "match_negative": _("the match “%(value)s” is below zero"),
    "target_missing": _("the campaign or fund is missing"),
    "unknown_target": _("“%(value)s” is neither a campaign code nor a fund code"),
    "target_ambiguous": _("“%(value)s” is both a campaign code and a fund code; write CAMPAIGN/FUND"),
    "campaign_target_ambiguous": _(
        "campaign “%(value)s” does not raise for exactly one fund without a project; write “%(value)s/FUND-CODE”"
    ),
    "campaign_target_mismatch": _("campaign “%(campaign)s” does not raise for fund “%(fund)s”"),
    "campaign_not_open": _("campaign “%(value)s” is not open for gifts"),
    "fund_closed": _("fund “%(value)s” is closed and takes no gifts"),
    "match_without_pool": _("a match of %(match)s needs a campaign with an active matching pool"),
    "match_exceeds_pool": _("the match of %(match)s does not fit the matching pools: %(left)s left after the rows before it"),
    "match_exceeds_day_cap": _("the match of %(match)s would take the matches on %(day)s above the pool's daily cap of %(cap)s"),
    "idempotency_mismatch": _("the external id “%(value)s” was already imported with different content"),
}

@dataclass(frozen=True)
class RowError:
    """One reason a row is refused; `row` is the sheet's row number (the header is row 1)."""

    row: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def reason(self, language: str | None = None) -> str:
        if language is None:
            return str(MESSAGES[self.code]) % self.params
        with translation.override(language):
            return str(MESSAGES[self.code]) % self.params

    def text(self, language: str | None = None) -> str:
        line = _("row %(row)s: %(reason)s (%(code)s)")
        if language is None:
            return str(line) % {"row": self.row, "reason": self.reason(), "code": self.code}
        with translation.override(language):
            return str(line) % {"row": self.row, "reason": self.reason(), "code": self.code}


class ImportRejected(ValidationFailed):
    """The file has bad rows; nothing was written. `errors` lists every one, in row order."""

    def __init__(self, errors: list[RowError], rows: int) -> None:
        self.errors = errors
        self.rows = rows
        super().__init__("import_rejected", lazy_format(_("%(bad)s of %(rows)s rows are refused; nothing was imported."),
                                                        {"bad": len({e.row for e in errors}), "rows": rows}))


class Progress(Protocol):
    """What the importer tells a progress bar: a phase starts (with its size if known), work advances."""

    def phase(self, label: str, total: int | None) -> None: ...

    def advance(self, n: int) -> None: ...


class _Silent:
    def phase(self, label: str, total: int | None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


# -- checking --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Gift:
    """A checked row, ready to write."""

    row: int
    external_id: str
    received_at: datetime
    donor: str
    amount: Decimal
    match: Decimal
    target: Target
    pool_id: int | None = None

    def row_for(self, donor_key: str) -> GiftRow:
        """The gift as the gift writer takes it."""
        t = self.target
        return GiftRow(external_id=self.external_id, received_at=self.received_at, donor=self.donor, amount=self.amount,
                       fund_id=t.fund_id, custodian_id=t.custodian_id, credit_account_id=t.credit_account_id,
                       campaign_id=t.campaign_id, match=self.match, pool_id=self.pool_id if self.match else None,
                       donor_key=donor_key)


@dataclass
class ImportPlan:
    source: str
    path: str
    rows: int = 0
    gifts: list[Gift] = field(default_factory=list)
    already: int = 0
    errors: list[RowError] = field(default_factory=list)
    kind: str = ""
    encoding: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, for the benchmark
    _last: float = field(default=0.0, init=False, repr=False)

    def lap(self, name: str) -> None:
        """Book the time since the previous lap under `name`."""
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self._last
        self._last = now

    def __post_init__(self) -> None:
        self._last = time.perf_counter()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def amount(self) -> Money:
        return Money(sum((g.amount for g in self.gifts), ZERO))

    @property
    def matched(self) -> Money:
        return Money(sum((g.match for g in self.gifts), ZERO))

    def donor_key(self, gift: Gift) -> str:
        """Who the donor is for matching: the exporting platform's name for them (matched rows only)."""
        return f"import:{self.source}:{gift.donor}"[:128] if gift.match else ""


@dataclass
class ImportResult:
    plan: ImportPlan
    written: int
    seconds: float
    first_entry_id: int | None = None
    last_entry_id: int | None = None


class TimeTooEarly(ValueError):
    """A time before SHANLIAN['DATE_EARLIEST']: no gift of this system's books is that old."""


def _parse_time(text: str) -> datetime:
    text = text.strip()
    if len(text) >= 10 and text[4] == "/" and text[7] == "/":
        text = text.replace("/", "-", 2)
    moment = datetime.fromisoformat(text)
    return _in_window(moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment)


def _in_window(moment: datetime) -> datetime:
    # Checked before any arithmetic: year 1 in +08:00 cannot even be turned into UTC.
    if moment.date() < earliest_date():
        raise TimeTooEarly(moment.date().isoformat())
    return moment


def time_error(row: int, raw: Any, exc: Exception) -> RowError:
    """The row's error for a time that did not parse or lies before the books begin."""
    if isinstance(exc, TimeTooEarly):
        return RowError(row, "time_too_early", {"value": str(exc), "first": earliest_date().isoformat()})
    return RowError(row, "invalid_time", {"value": cell_text(raw)[:40]})


def donor_text(row: int, raw: str, errors: list[RowError]) -> str:
    """A donor's name from a row: refused (never cut) when too long or carrying control characters."""
    problem = text_problem(raw.strip(), max_length=MAX_DONOR_NAME)
    if problem is not None:
        errors.append(RowError(row, "donor_" + problem[0], {"max": MAX_DONOR_NAME}))
        return ""
    return raw.strip()


def _fmt_time(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _check_money(text: str, *, row: int, prefix: str, errors: list[RowError]) -> Decimal | None:
    """An amount cell through the one amount parser (core.inputs.amount_in) and an online gift's limit (`gift_limit`:
    a file's and a batch's gifts are online gifts), its refusal as the row's error."""
    try:
        return amount_in(text, maximum=gift_limit(Channel.ONLINE), positive=False).amount
    except ValidationFailed as exc:
        code = {"money_precision": "precision", "amount_negative": "negative"}.get(exc.code, exc.code)
        if prefix:
            code = {"precision": "match_precision", "negative": "match_negative", "invalid_number": "match_invalid_number",
                    "amount_too_large": "match_too_large"}[code]
        else:
            code = {"precision": "money_precision", "negative": "amount_not_positive"}.get(code, code)
        errors.append(RowError(row, code, {"value": text, "max": f"{limit(gift_limit(Channel.ONLINE)):,.2f}"}))
        return None


def row_errors(row: int, problems: list[Problem]) -> list[RowError]:
    """The intake rules' refusals (`rules.Problem`) as a row's errors, times written as the report writes them."""
    return [RowError(row, code, {k: _fmt_time(v) if isinstance(v, datetime) else v for k, v in params.items()})
            for code, params in problems]


def source_check(source: str) -> str:
    source = (source or "").strip()
    if not _SOURCE.fullmatch(source):
        raise file_error("import_bad_source")
    return source


def import_check(*, path: str | Path, source: str = "import", progress: Progress | None = None) -> ImportPlan:
    """Read and check every row; write nothing. The plan holds the rows to write and every error."""
    source = source_check(source)
    progress = progress or _Silent()
    plan = ImportPlan(source=source, path=str(path))
    sheet = sheet_open(path)
    plan.kind, plan.encoding = sheet.kind, sheet.encoding
    cols = columns_map(sheet.header)
    plan.lap("read")
    targets = Targets()
    seen: dict[str, int] = {}
    have_rows = Donation.objects.filter(source=source).exclude(external_id="").exists()
    latest = (timezone.now() + AHEAD).astimezone(SHANGHAI)
    cells_of = _Cells(sheet.kind)
    progress.phase(str(_("Checking rows")), sheet.total)
    chunk: list[tuple[int, Sequence[Any]]] = []
    for item in sheet.rows:
        chunk.append(item)
        if len(chunk) >= CHECK_CHUNK:
            _check_chunk(plan, chunk, cols, targets, seen, have_rows, latest, cells_of)
            progress.advance(len(chunk))
            chunk = []
    if chunk:
        _check_chunk(plan, chunk, cols, targets, seen, have_rows, latest, cells_of)
        progress.advance(len(chunk))
    _allocate_matches(plan)
    plan.errors.sort(key=lambda e: e.row)
    plan.lap("check")
    return plan


class _Cells:
    """Turns cells into values, remembering what it parsed: exports repeat times and amounts a lot."""

    def __init__(self, kind: str) -> None:
        # CSV cells are always text (a short row is padded with ""); XLSX cells are numbers, datetimes or None too.
        self.text: Callable[[Any], str] = str.strip if kind == "csv" else cell_text
        self.times: dict[str, datetime] = {}
        self.money: dict[str, Decimal] = {}

    def time(self, raw: Any) -> datetime:
        if isinstance(raw, datetime):
            return _in_window(raw.replace(tzinfo=SHANGHAI) if raw.tzinfo is None else raw.astimezone(SHANGHAI))
        moment = self.times.get(raw)
        if moment is None:
            moment = _parse_time(self.text(raw))
            if len(self.times) > 100_000:
                self.times.clear()
            self.times[raw] = moment
        return moment

    def amount(self, text: str, *, row: int, prefix: str, errors: list[RowError]) -> Decimal | None:
        value = self.money.get(text)
        if value is None:
            value = _check_money(text, row=row, prefix=prefix, errors=errors)
            if value is not None and len(self.money) < 100_000:
                self.money[text] = value
        return value


def _check_chunk(plan: ImportPlan, chunk: list[tuple[int, Sequence[Any]]], cols: dict[str, int], targets: Targets,
                 seen: dict[str, int], have_rows: bool, latest: datetime, cells_of: _Cells) -> None:
    i_ext, i_time, i_amount, i_target = cols["external_id"], cols["time"], cols["amount"], cols["target"]
    i_donor, i_match = cols.get("donor"), cols.get("match")
    width = max(cols.values()) + 1
    text = cells_of.text
    errors = plan.errors
    parsed: list[tuple[Gift, list[RowError]]] = []
    for row, cells in chunk:
        if not any(cells):
            continue  # a blank line
        if len(cells) < width:
            cells = [*cells, *([""] * (width - len(cells)))]
        plan.rows += 1
        mine: list[RowError] = []
        ext = text(cells[i_ext])
        if not ext:
            mine.append(RowError(row, "external_id_missing"))
        elif len(ext) > MAX_EXTERNAL_ID:
            mine.append(RowError(row, "external_id_too_long", {"value": ext[:40] + "…"}))
        elif ext in seen:
            mine.append(RowError(row, "external_id_duplicate", {"value": ext, "first": seen[ext]}))
        else:
            seen[ext] = row
        moment: datetime | None = None
        if cells[i_time] in ("", None):
            mine.append(RowError(row, "time_missing"))
        else:
            try:
                moment = cells_of.time(cells[i_time])
            except (ValueError, IndexError, TypeError, OverflowError) as exc:
                mine.append(time_error(row, cells[i_time], exc))
        amount_text = text(cells[i_amount])
        amount = cells_of.amount(amount_text, row=row, prefix="", errors=mine)
        if amount is not None and amount <= 0:
            mine.append(RowError(row, "amount_not_positive", {"value": amount_text}))
            amount = None
        match = ZERO
        if i_match is not None:
            match_text = cell_text(cells[i_match])
            if match_text:
                checked = cells_of.amount(match_text, row=row, prefix="match_", errors=mine)
                if checked is not None and checked < 0:
                    mine.append(RowError(row, "match_negative", {"value": match_text}))
                match = checked if checked is not None and checked > 0 else ZERO
        donor = donor_text(row, text(cells[i_donor]), mine) if i_donor is not None else ""
        resolved = targets.resolve(text(cells[i_target]))
        if isinstance(resolved, tuple):
            mine.append(RowError(row, resolved[0], resolved[1]))
            errors.extend(mine)
            continue
        if moment is None or amount is None or mine:
            errors.extend(mine)
            continue
        parsed.append((Gift(row, ext, moment, donor or ANONYMOUS, amount, match, resolved), mine))
    existing = stored_gifts(plan.source, [g.external_id for g, _m in parsed]) if have_rows and parsed else {}
    for gift, mine in parsed:
        before = existing.get(gift.external_id)
        if before is not None:
            if same_gift(before, gift.row_for(plan.donor_key(gift)), Channel.IMPORT, time_sent=True, match_sent=True):
                plan.already += 1
            else:
                errors.append(RowError(gift.row, "idempotency_mismatch", {"value": gift.external_id}))
            continue
        mine.extend(row_errors(gift.row, target_problems(gift.target, gift.received_at, latest=latest, match=gift.match)))
        if mine:
            errors.extend(mine)
        else:
            plan.gifts.append(gift)


def _allocate_matches(plan: ImportPlan) -> None:
    matched = [g for g in plan.gifts if g.match]
    if not matched:
        return
    day_of = [site_day(g.received_at) for g in matched]
    room = PoolRoom((pk for g in matched for pk in g.target.pools), set(day_of))
    refused: set[int] = set()
    for gift, day in zip(matched, day_of, strict=True):
        taken = room.take(gift.match, day=day, pools=gift.target.pools, donor_key=plan.donor_key(gift))
        if isinstance(taken, int):
            gift.pool_id = taken
        else:
            plan.errors.extend(row_errors(gift.row, [taken]))
            refused.add(gift.row)
    if refused:
        plan.gifts = [g for g in plan.gifts if g.row not in refused]
