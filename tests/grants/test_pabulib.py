"""Pabulib files: every real file in ../shared/data/pabulib reads, writing and reading back gives the same election,
and each kind of malformed file is refused with its code and the line it is on."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from django.utils import translation

from shanlian.grants import pabulib
from shanlian.grants.pabulib import Election, PabulibError, Project, Vote

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pabulib"

GOOD = "\n".join([
    "META", "key;value", "description;A test", "budget;1000", "vote_type;approval",
    "PROJECTS", "project_id;cost;name;selected",
    '1;600;"Park; with a semicolon";1', "2;450.50;Library;0", '3;200;"Say ""hello""";1',
    "VOTES", "voter_id;age;vote", "v1;30;1,2", "v2;;3", "v3;41;", "",
])


@pytest.fixture(autouse=True)
def _english():
    """The messages checked here are the English source texts (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


def test_reads_a_file():
    election = pabulib.loads(GOOD)
    assert election.budget == 1000 and election.vote_type == "approval" and election.is_approval
    assert list(election.projects) == ["1", "2", "3"]
    assert election.projects["1"].fields == {"name": "Park; with a semicolon", "selected": "1"}
    assert election.projects["2"].cost == Fraction("450.5") and election.projects["2"].selected == 0
    assert election.projects["3"].fields["name"] == 'Say "hello"'
    assert [v.projects for v in election.votes] == [("1", "2"), ("3",), ()]
    assert election.votes[0] == Vote("v1", ("1", "2"), None, {"age": "30"})


def test_round_trip():
    election = pabulib.loads(GOOD)
    text = pabulib.dumps(election)
    assert pabulib.loads(text) == election
    assert pabulib.dumps(pabulib.loads(text)) == text
    assert '"Park; with a semicolon"' in text and "450.5;" in text


def test_round_trip_of_an_election_built_in_code(tmp_path):
    election = Election.approval(budget=Fraction("300.25"), costs={"a": 100, "b": Fraction("0.5")},
                                 ballots=[["a"], ["a", "b"], []])
    pabulib.write(election, tmp_path / "e.pb")
    again = pabulib.read(tmp_path / "e.pb")
    assert again == election
    assert again.projects["b"] == Project("b", Fraction(1, 2))
    assert again.meta["budget"] == "300.25"


@pytest.mark.parametrize("name", ["poland_gdansk_2020_stogi.pb",  # quoted names with ';'
                                  "france_toulouse_2019_.pb",  # cumulative: points
                                  "poland_krakow_2018_.pb",  # ordinal
                                  "poland_warszawa_2017_kamionek.pb",  # META without its key;value header
                                  "poland_gdynia_2020_grabowek-large.pb"])  # a free project
def test_round_trip_of_real_files(name):
    election = pabulib.read(DATA / name)
    assert pabulib.loads(pabulib.dumps(election)) == election


def test_every_real_file_reads():
    files = sorted(DATA.glob("*.pb"))
    assert len(files) == 276
    kinds: dict[str, int] = {}
    for path in files:
        election = pabulib.read(path)
        kinds[election.vote_type] = kinds.get(election.vote_type, 0) + 1
        assert len(election.votes) == int(election.meta["num_votes"]), path.name
        assert len(election.projects) == int(election.meta["num_projects"]), path.name
    assert kinds == {"approval": 231, "cumulative": 38, "ordinal": 7}


def test_cumulative_points():
    election = pabulib.read(DATA / "france_toulouse_2019_.pb")
    vote = next(v for v in election.votes if v.projects)
    assert vote.points is not None and len(vote.points) == len(vote.projects)


def _bad(text: str) -> PabulibError:
    with pytest.raises(PabulibError) as exc:
        pabulib.loads(text)
    return exc.value


HEAD = "META\nkey;value\nbudget;1000\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;600\n2;400\nVOTES\nvoter_id;vote\n"


@pytest.mark.parametrize(("text", "code", "line"), [
    ("description;x\nMETA\n", "pb_no_section", 1),
    ("META\nkey;value\nvote_type;approval\nPROJECTS\n", "pb_missing_meta", 4),
    ("META\nkey;value\nbudget;-5\nvote_type;approval\nPROJECTS\n", "pb_bad_budget", 3),
    ("META\nkey;value\nbudget;1,000\nvote_type;approval\nPROJECTS\n", "pb_bad_budget", 3),
    ("META\nkey;value\nbudget;0\nvote_type;approval\nPROJECTS\n", "pb_bad_budget", 3),
    ("META\nkey;value\nbudget;10\nvote_type;borda\nPROJECTS\n", "pb_bad_vote_type", 4),
    ("META\nkey;value\nbudget;10\nbudget;20\n", "pb_duplicate_meta", 4),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nVOTES\n", "pb_bad_section", 5),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;name\n", "pb_bad_header", 6),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost;cost\n", "pb_bad_header", 6),
    (HEAD.replace("2;400", "2;four hundred"), "pb_bad_cost", 8),
    (HEAD.replace("2;400", "2;-400"), "pb_bad_cost", 8),
    (HEAD.replace("2;400", "2;4e2"), "pb_bad_cost", 8),
    (HEAD.replace("2;400", "1;400"), "pb_duplicate_project", 8),
    (HEAD.replace("2;400", "2,3;400"), "pb_bad_project_id", 8),
    (HEAD.replace("2;400", "2;400;extra"), "pb_bad_columns", 8),
    (HEAD.replace("2;400", '2;"400'), "pb_bad_quote", 8),
    (HEAD + "a;1\nb;1,7\n", "pb_unknown_project", 12),
    (HEAD + "a;1\nb;1,1\n", "pb_duplicate_vote", 12),
    (HEAD + "a;1\nb;1,\n", "pb_bad_vote", 12),
    (HEAD + "a;1\nb;2\na;2\n", "pb_duplicate_voter", 13),
    (HEAD + ";1\n", "pb_bad_voter_id", 11),
    (HEAD.replace("VOTES\nvoter_id;vote\n", ""), "pb_missing_section", 9),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\nVOTES\nvoter_id;vote\n", "pb_no_projects", 5),
    ("META\nkey;value\nbudget;10\nvote_type;cumulative\nPROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\n",
     "pb_bad_header", 9),
    ("META\nkey;value\nbudget;10\nvote_type;cumulative\nPROJECTS\nproject_id;cost\n1;5\n2;5\nVOTES\nvoter_id;vote;points\n"
     "a;1,2;3\n", "pb_bad_points", 11),
    ("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost;selected\n1;5;yes\n", "pb_bad_selected", 7),
])
def test_malformed(text, code, line):
    error = _bad(text)
    assert (error.code, error.line) == (code, line), str(error)
    assert str(error).startswith(f"line {line}: ")


def test_error_message_is_translatable_text_with_its_values():
    error = _bad(HEAD.replace("2;400", "2;four hundred"))
    assert error.params == {"project": "2", "value": "four hundred"}
    with translation.override("en"):
        assert str(error) == "line 8: the cost of project 2 must be a number such as 12000 or 12000.50, not four hundred"


def test_limits(monkeypatch):
    monkeypatch.setattr(pabulib, "MAX_VOTERS", 2)
    assert _bad(HEAD + "a;1\nb;2\nc;2\n").code == "pb_too_many_voters"
    monkeypatch.setattr(pabulib, "MAX_PROJECTS", 1)
    assert (_bad(HEAD).code, _bad(HEAD).line) == ("pb_too_many_projects", 8)
    monkeypatch.setattr(pabulib, "MAX_FILE_BYTES", 50)
    assert _bad(HEAD.encode()).code == "pb_too_large"


def test_not_utf8():
    error = _bad(HEAD.encode() + b"a;1\n" + "b;2\n".encode("utf-16"))
    assert (error.code, error.line) == ("pb_encoding", 12)


def test_a_byte_order_mark_and_windows_line_ends_are_read():
    election = pabulib.loads(("\ufeff" + HEAD + "a;1\n").replace("\n", "\r\n").encode())
    assert election.votes == [Vote("a", ("1",))]


@pytest.mark.parametrize(("value", "text"), [("0", "0"), ("12", "12"), ("12.5", "12.5"), ("0.05", "0.05"),
                                             ("308298.85", "308298.85"), ("100.000", "100")])
def test_format_number(value, text):
    assert pabulib.format_number(Fraction(value)) == text
