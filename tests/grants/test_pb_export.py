"""A round's vote exported as a pabulib `.pb` file: read back, it is the election the round was allocated from (the
engine funds the same projects from the file), each project named with its votes and `selected` as decided; refused
until the vote has closed, from the page's selector and from `shanlian grants export`."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from shanlian.core.errors import Conflict
from shanlian.grants import pabulib
from shanlian.grants import services as gs
from shanlian.grants.allocation import allocate
from shanlian.grants.models import GrantRound, PhaseKind, Result, Rule
from shanlian.grants.selectors_pb import round_pb
from shanlian.grants.services.votes import ballot_cast

from .conftest import DAY
from .test_votes import proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def voted(world):
    """Four proposals (¥20,000, ¥15,000, ¥12,000, ¥8,000) on a ¥40,000 budget, six ballots cast online."""
    r = world.round(PhaseKind.VOTE, budget="40000", rule=Rule.GREEDY)
    ps = [proposal(world, r, price) for price in ("20000", "15000", "12000", "8000")]
    a, b, c, d = ps
    for resident, picked in zip(world.residents, [[a, b, c], [a, b], [a, c], [a, b, d], [d], [c, d]], strict=True):
        ballot_cast(actor=resident, round=r, choices=[p.pk for p in picked])
    return r, ps


def test_the_file_is_the_election_and_names_the_results(world, voted):
    r, (a, b, c, d) = voted
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):  # the vote closed, allocation open
        gs.allocation_run(actor=world.admin, round=GrantRound.objects.get(pk=r.pk))
        text = round_pb(GrantRound.objects.get(pk=r.pk))
    election = pabulib.loads(text)
    assert election.meta["num_votes"] == "6" and election.meta["budget"] == "40000" and election.meta["currency"] == "CNY"
    funded = {str(pk) for pk in Result.objects.filter(round=r, funded=True).values_list("proposal_id", flat=True)}
    assert set(allocate(election, "greedy").winners) == funded == {str(a.pk), str(b.pk)}
    fields = {pid: p.fields for pid, p in election.projects.items()}
    assert fields[str(a.pk)] == {"name": a.title, "votes": "4", "selected": "1"}
    assert fields[str(d.pk)] == {"name": d.title, "votes": "3", "selected": "0"}
    assert "张" not in text and "居民" not in text  # voters are numbered, nobody named


def test_an_override_is_what_the_file_selects(world, voted):
    r, (a, b, c, d) = voted
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        gs.allocation_run(actor=world.admin, round=GrantRound.objects.get(pk=r.pk))
    with time_machine.travel(timezone.now() + 16 * DAY, tick=False):  # agreements: overrides are made here
        gs.result_override(actor=world.admin, result=Result.objects.get(proposal=b), funded=False, reason="申请方主动放弃资助")
        election = pabulib.loads(round_pb(GrantRound.objects.get(pk=r.pk)))
    assert election.projects[str(b.pk)].fields["selected"] == "0"


def test_the_public_round_page_downloads_the_file(world, voted, client):
    r, _ps = voted
    url = f"/public/grants/rounds/{r.pk}/"
    early = client.get(url, {"format": "pb"})
    assert early.status_code == 409 and b"results_hidden" in early.content
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        gs.allocation_run(actor=world.admin, round=GrantRound.objects.get(pk=r.pk))
        page = client.get(url).content.decode()
        got = client.get(url, {"format": "pb"})
    assert 'data-testid="download-pb"' in page
    assert got.status_code == 200 and got["Content-Disposition"] == f'attachment; filename="shanlian-round-{r.pk}.pb"'
    assert len(pabulib.loads(got.content).votes) == 6


def test_refused_until_the_vote_has_closed(world, voted):
    r, _ps = voted
    with pytest.raises(Conflict) as exc:
        round_pb(r)
    assert exc.value.code == "results_hidden"
    err = io.StringIO()
    with pytest.raises(SystemExit) as stop:
        call_command("grants", "export", str(r.pk), stderr=err)
    assert stop.value.code == 2 and "results_hidden" in err.getvalue()


def test_the_command_writes_the_file(world, voted, tmp_path):
    r, _ps = voted
    out = tmp_path / "round.pb"
    with time_machine.travel(timezone.now() + 6 * DAY, tick=False):
        call_command("grants", "export", str(r.pk), "--out", str(out))
        printed = io.StringIO()
        call_command("grants", "export", str(r.pk), stdout=printed)
    assert out.read_text(encoding="utf-8") == printed.getvalue()
    assert len(pabulib.read(out).votes) == 6


@pytest.mark.parametrize("round_id", ["999999", "0"])
def test_the_command_refuses_a_round_that_does_not_exist(round_id):
    err = io.StringIO()
    with pytest.raises(SystemExit) as stop:
        call_command("grants", "export", round_id, stderr=err)
    assert stop.value.code == 2 and f"There is no round {round_id}." in err.getvalue()


def test_a_draft_round_is_not_exported(world):
    r = world.round(PhaseKind.VOTE, open=False)
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("grants", "export", str(r.pk), stderr=err)
    assert f"There is no round {r.pk}." in err.getvalue()
