"""Pabulib `.pb` files (https://pabulib.org/format): the public library's format for participatory-budgeting
elections, so a round's vote can be exported, checked by anyone with pabutools, and real elections imported.

A file has three sections, META, PROJECTS and VOTES, in that order; each is a title line, a `;`-separated header
and rows (fields with a `;` or a quote are quoted as in CSV). Reading refuses what an allocation could silently
get wrong (an unknown or repeated project in a ballot, a repeated voter, a cost that is not a plain number) with a
`PabulibError` naming the line. Kept free of Django apart from `gettext_lazy`, so the engine runs anywhere.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

MAX_FILE_BYTES = 64 * 1024 * 1024  # Łódź 2022 (90,494 voters) is 3.7 MB
MAX_PROJECTS = 10_000
MAX_VOTERS = 2_000_000
MAX_ID_LENGTH = 200
MAX_NUMBER_LENGTH = 30

SECTIONS = ("meta", "projects", "votes")
APPROVAL_TYPES = ("approval", "choose-1")
POINTS_TYPES = ("cumulative", "scoring")
VOTE_TYPES = (*APPROVAL_TYPES, *POINTS_TYPES, "ordinal")

# A plain decimal number: no sign, no exponent, no thousands separator, a point before the decimals. Pabutools
# also reads a comma as the decimal point, but "1,000" would then be one yuan: refused rather than guessed.
_NUMBER = re.compile(r"\d+(\.\d+)?")


@dataclass
class PabulibError(Exception):
    """A malformed file: a stable `code` for programs, a translatable message for people, the line it is on."""

    code: str
    message: Any  # a gettext_lazy text with %(name)s placeholders filled from `params`
    line: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.code, self.line)

    def text(self) -> str:
        """The message alone, in the active language."""
        return str(self.message) % self.params if self.params else str(self.message)

    def __str__(self) -> str:
        if self.line is None:
            return self.text()
        return str(_("line %(line)s: %(message)s")) % {"line": self.line, "message": self.text()}


@dataclass(slots=True)
class Project:
    project_id: str
    cost: Fraction
    fields: dict[str, str] = field(default_factory=dict)  # the other columns as written: name, votes, selected...

    @property
    def selected(self) -> int | None:
        """The official result where the file gives one (1 funded, 0 not; pabulib also uses 2)."""
        value = self.fields.get("selected", "")
        return int(value) if value.isdigit() else None


@dataclass(slots=True)
class Vote:
    voter_id: str
    projects: tuple[str, ...]  # in the order written (the order is the ranking for ordinal ballots)
    points: tuple[Fraction, ...] | None = None  # cumulative and scoring ballots only
    fields: dict[str, str] = field(default_factory=dict)  # age, sex, voting_method...


@dataclass
class Election:
    meta: dict[str, str]
    projects: dict[str, Project]
    votes: list[Vote]
    project_columns: tuple[str, ...] = ("project_id", "cost")
    vote_columns: tuple[str, ...] = ("voter_id", "vote")

    @property
    def budget(self) -> Fraction:
        return Fraction(self.meta["budget"])

    @property
    def vote_type(self) -> str:
        return self.meta["vote_type"]

    @property
    def is_approval(self) -> bool:
        return self.vote_type in APPROVAL_TYPES

    @classmethod
    def approval(cls, *, budget: Fraction | int | str, costs: dict[str, Fraction | int | str],
                 ballots: list[list[str]] | list[tuple[str, ...]], meta: dict[str, str] | None = None) -> Election:
        """An approval election built in code (tests, a round's own vote); voters are numbered from 1."""
        all_meta = {"budget": format_number(Fraction(budget)), "vote_type": "approval", **(meta or {})}
        projects = {pid: Project(pid, Fraction(cost)) for pid, cost in costs.items()}
        votes = [Vote(str(i), tuple(ballot)) for i, ballot in enumerate(ballots, 1)]
        return cls(all_meta, projects, votes)


def format_number(value: Fraction) -> str:
    """A number the way pabulib writes it: an integer, or a finite decimal (every number read is one)."""
    for scale in range(MAX_NUMBER_LENGTH + 1):
        scaled = value * 10**scale
        if scaled.denominator == 1:
            break
    else:
        raise ValueError(f"{value} has no short decimal form")
    sign, digits = ("-" if scaled < 0 else ""), str(abs(scaled.numerator)).rjust(scale + 1, "0")
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}" if scale else f"{sign}{digits}"


def _number(text: str) -> Fraction | None:
    if len(text) > MAX_NUMBER_LENGTH or not _NUMBER.fullmatch(text):
        return None
    return Fraction(text)


def _fail(code: str, message: Any, line: int | None, **params: Any) -> PabulibError:
    return PabulibError(code, message, line, params)


class _Reader:
    """One pass over the lines; keeps the section, its header and the line number for error messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.projects: dict[str, Project] = {}
        self.votes: list[Vote] = []
        self.voter_ids: set[str] = set()
        self.section_lines: dict[str, int] = {}
        self.project_columns: tuple[str, ...] = ()
        self.vote_columns: tuple[str, ...] = ()
        self.voter_at = self.vote_at = self.points_at = -1
        self.other_at: list[tuple[str, int]] = []
        self.project_ids: frozenset[str] = frozenset()

    def row(self, number: int, line: str) -> list[str]:
        if '"' not in line:
            cells = line.split(";")
            return cells if " " not in line and "\t" not in line else [cell.strip() for cell in cells]
        try:
            return [cell.strip() for cell in next(csv.reader([line], delimiter=";", strict=True))]
        except csv.Error:
            raise _fail("pb_bad_quote", _("a quoted field is not closed on its line"), number) from None

    def read(self) -> Election:
        section = ""
        header: tuple[str, ...] | None = None
        for number, raw in enumerate(self.lines, 1):
            line = raw.rstrip("\r")
            if not line.strip():
                continue
            row = self.row(number, line)
            title = row[0].lower()
            if title in SECTIONS and not any(row[1:]):
                self.start_section(title, section, number)
                section, header = title, None
                continue
            if not section:
                raise _fail("pb_no_section", _("the file must start with a META section, not %(text)s"), number,
                            text=line[:40])
            if header is None:
                header = self.header(section, row, number)
                if header:
                    continue
                header = ("key", "value")  # a META without its header line: real files have these
            if len(row) != len(header):
                raise _fail("pb_bad_columns", _("expected %(expected)s fields separated by ';', found %(found)s"), number,
                            expected=len(header), found=len(row))
            if section == "meta":
                self.meta_row(row, number)
            elif section == "projects":
                self.project_row(header, row, number)
            else:
                self.vote_row(row, number)
        for name in SECTIONS:
            if name not in self.section_lines:
                raise _fail("pb_missing_section", _("the %(section)s section is missing"), len(self.lines),
                            section=name.upper())
        if not self.projects:
            raise _fail("pb_no_projects", _("the PROJECTS section lists no project"), self.section_lines["projects"])
        return Election(self.meta, self.projects, self.votes, self.project_columns, self.vote_columns)

    def start_section(self, title: str, current: str, number: int) -> None:
        expected = SECTIONS[SECTIONS.index(current) + 1] if current in SECTIONS[:-1] else "" if current else "meta"
        if title != expected:
            raise _fail("pb_bad_section", _("section %(section)s is out of place: expected %(expected)s"), number,
                        section=title.upper(), expected=expected.upper() or _("nothing more"))
        if current == "meta":
            self.check_meta(number)
        self.section_lines[title] = number

    def header(self, section: str, row: list[str], number: int) -> tuple[str, ...]:
        """The section's header, or () when a META section starts straight with its rows."""
        if section == "meta":
            return ("key", "value") if [c.lower() for c in row] == ["key", "value"] else ()
        columns = tuple(row)
        if len(set(columns)) != len(columns) or "" in columns:
            raise _fail("pb_bad_header", _("the header repeats a column or has an empty one: %(header)s"), number,
                        header=";".join(columns))
        required: tuple[str, ...] = ("project_id", "cost") if section == "projects" else ("voter_id", "vote")
        if section == "votes" and self.meta["vote_type"] in POINTS_TYPES:
            required = (*required, "points")
        for name in required:
            if name not in columns:
                raise _fail("pb_bad_header", _("the %(section)s header has no %(column)s column"), number,
                            section=section.upper(), column=name)
        if section == "projects":
            self.project_columns = columns
        else:
            self.vote_columns = columns
            self.voter_at, self.vote_at = columns.index("voter_id"), columns.index("vote")
            points = self.meta["vote_type"] in POINTS_TYPES
            self.points_at = columns.index("points") if points else -1
            self.other_at = [(name, k) for k, name in enumerate(columns)
                             if name not in ("voter_id", "vote") and not (points and name == "points")]
            self.project_ids = frozenset(self.projects)
        return columns

    def meta_row(self, row: list[str], number: int) -> None:
        key, value = row
        if not key:
            raise _fail("pb_bad_meta", _("a META row has no key"), number)
        if key in self.meta:
            raise _fail("pb_duplicate_meta", _("META key %(key)s is given twice (first on line %(first)s)"), number,
                        key=key, first=self.meta_lines[key])
        self.meta[key] = value
        self.meta_lines[key] = number

    def check_meta(self, number: int) -> None:
        for key in ("budget", "vote_type"):
            if key not in self.meta:
                raise _fail("pb_missing_meta", _("META has no %(key)s"), number, key=key)
        budget = _number(self.meta["budget"])
        if budget is None or budget <= 0:
            raise _fail("pb_bad_budget", _("the budget must be a positive number such as 500000 or 500000.50, not %(value)s"),
                        self.meta_lines["budget"], value=self.meta["budget"])
        if self.meta["vote_type"] not in VOTE_TYPES:
            raise _fail("pb_bad_vote_type", _("vote_type %(value)s is not one of %(types)s"), self.meta_lines["vote_type"],
                        value=self.meta["vote_type"], types=", ".join(VOTE_TYPES))

    def project_row(self, header: tuple[str, ...], row: list[str], number: int) -> None:
        values = dict(zip(header, row, strict=True))
        pid = values.pop("project_id")
        if not pid or len(pid) > MAX_ID_LENGTH or "," in pid:
            raise _fail("pb_bad_project_id", _("a project id must be 1 to %(max)s characters without a comma, not %(value)s"),
                        number, max=MAX_ID_LENGTH, value=pid[:40])
        if pid in self.projects:
            raise _fail("pb_duplicate_project", _("project %(project)s is listed twice"), number, project=pid)
        if len(self.projects) >= MAX_PROJECTS:
            raise _fail("pb_too_many_projects", _("more than %(max)s projects"), number, max=MAX_PROJECTS)
        cost = _number(values.pop("cost"))
        if cost is None:
            raise _fail("pb_bad_cost", _("the cost of project %(project)s must be a number such as 12000 or 12000.50, not %(value)s"),
                        number, project=pid, value=row[header.index("cost")][:40])
        selected = values.get("selected", "")
        if selected and selected.lower() != "none" and not selected.isdigit():
            raise _fail("pb_bad_selected", _("selected must be 0 or 1 (or empty), not %(value)s"), number, value=selected[:40])
        self.projects[pid] = Project(pid, cost, values)

    def vote_row(self, row: list[str], number: int) -> None:
        voter = row[self.voter_at]
        if not voter or len(voter) > MAX_ID_LENGTH:
            raise _fail("pb_bad_voter_id", _("a voter id must be 1 to %(max)s characters"), number, max=MAX_ID_LENGTH)
        if voter in self.voter_ids:
            raise _fail("pb_duplicate_voter", _("voter %(voter)s voted twice"), number, voter=voter)
        if len(self.votes) >= MAX_VOTERS:
            raise _fail("pb_too_many_voters", _("more than %(max)s voters"), number, max=MAX_VOTERS)
        listed = row[self.vote_at]
        chosen = tuple(listed.split(",") if " " not in listed else (p.strip() for p in listed.split(","))) if listed else ()
        distinct = set(chosen)
        if len(distinct) != len(chosen) or not distinct <= self.project_ids:
            self.bad_vote(voter, chosen, number)
        points = None
        if self.points_at >= 0:
            given = row[self.points_at]
            parsed = [_number(p.strip()) for p in given.split(",")] if given else []
            if len(parsed) != len(chosen) or any(p is None for p in parsed):
                raise _fail("pb_bad_points", _("voter %(voter)s needs one number of points per project voted for"), number,
                            voter=voter)
            points = tuple(p for p in parsed if p is not None)
        self.voter_ids.add(voter)
        self.votes.append(Vote(voter, chosen, points, {name: row[k] for name, k in self.other_at}))

    def bad_vote(self, voter: str, chosen: tuple[str, ...], number: int) -> None:
        for pid in chosen:
            if not pid:
                raise _fail("pb_bad_vote", _("the vote of voter %(voter)s has an empty project id"), number, voter=voter)
            if pid not in self.projects:
                raise _fail("pb_unknown_project", _("voter %(voter)s voted for project %(project)s, which PROJECTS does not list"),
                            number, voter=voter, project=pid[:40])
        raise _fail("pb_duplicate_vote", _("voter %(voter)s lists a project twice"), number, voter=voter)


def loads(data: str | bytes) -> Election:
    """Read an election from the text (or the UTF-8 bytes) of a `.pb` file."""
    if isinstance(data, bytes):
        raw = data
        if len(raw) > MAX_FILE_BYTES:
            raise _fail("pb_too_large", _("the file is larger than %(max)s MB"), None, max=MAX_FILE_BYTES // 2**20)
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail("pb_encoding", _("the file is not UTF-8 text"), raw[: exc.start].count(b"\n") + 1) from None
    elif len(data) > MAX_FILE_BYTES:
        raise _fail("pb_too_large", _("the file is larger than %(max)s MB"), None, max=MAX_FILE_BYTES // 2**20)
    # Tens of thousands of small objects and nothing cyclic: the cyclic collector would only rescan them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Reader(data.removeprefix("\ufeff")).read()
    finally:
        if collecting:
            gc.enable()


def read(path: str | Path) -> Election:
    """Read a `.pb` file; the size is checked before the file is read."""
    path = Path(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _fail("pb_too_large", _("the file is larger than %(max)s MB"), None, max=MAX_FILE_BYTES // 2**20)
    return loads(path.read_bytes())


def dumps(election: Election) -> str:
    """The `.pb` text of an election; reading it back gives an equal election."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in election.meta.items():
        writer.writerow([key, value])
    out.write("PROJECTS\n")
    project_columns = list(election.project_columns)
    extra = [k for p in election.projects.values() for k in p.fields if k not in project_columns]
    project_columns += list(dict.fromkeys(extra))
    writer.writerow(project_columns)
    for project in election.projects.values():
        cells = {"project_id": project.project_id, "cost": format_number(project.cost), **project.fields}
        writer.writerow([cells.get(name, "") for name in project_columns])
    out.write("VOTES\n")
    vote_columns = list(election.vote_columns)
    if any(v.points is not None for v in election.votes) and "points" not in vote_columns:
        vote_columns.append("points")
    extra = [k for v in election.votes for k in v.fields if k not in vote_columns]
    vote_columns += list(dict.fromkeys(extra))
    writer.writerow(vote_columns)
    for vote in election.votes:
        cells = {"voter_id": vote.voter_id, "vote": ",".join(vote.projects), **vote.fields}
        if vote.points is not None:
            cells["points"] = ",".join(format_number(p) for p in vote.points)
        writer.writerow([cells.get(name, "") for name in vote_columns])
    return out.getvalue()


def write(election: Election, path: str | Path) -> None:
    Path(path).write_text(dumps(election), encoding="utf-8")
