"""A round's vote as a pabulib `.pb` file (https://pabulib.org/format), for analysts and for checking the allocation
against other tools: the election the engine allocated (voters numbered, nobody named), each project with its name,
its votes and whether it was funded (`selected`, after any override). Refused, like the tally, until the vote has
closed."""

from __future__ import annotations

from .models import GrantRound, Proposal
from .pabulib import dumps
from .selectors_vote import election_of


def round_pb(round: GrantRound) -> str:
    election = election_of(round)
    rows = {str(pk): (title, result) for pk, title, result in Proposal.objects.filter(round=round)
            .values_list("pk", "title", "result__funded")}
    counted: dict[str, int] = {}
    for vote in election.votes:
        for pid in vote.projects:
            counted[pid] = counted.get(pid, 0) + 1
    for pid, project in election.projects.items():
        title, funded = rows[pid]
        project.fields = {"name": title, "votes": str(counted.get(pid, 0))}
        if funded is not None:
            project.fields["selected"] = "1" if funded else "0"
    election.meta["comment"] = f"Shanlian round {round.pk}: project_id is the proposal's id"
    return dumps(election)
