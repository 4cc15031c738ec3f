"""CSV and XLSX downloads of the public round and project pages, written by charity's export helpers (a BOM for
Excel, amounts as plain numbers with two decimals, text a spreadsheet would run as a formula kept as text, one XLSX
sheet per table). The tables hold what the pages show, nothing more: no payee, no uploader."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from shanlian.charity.exports import Row, Table

from .selectors_public import ProjectPage, RoundPage
from .selectors_results import RoundResults


def results_table(results: RoundResults) -> Table:
    """The results with their reasons and the fund paying each award, in rank order."""
    yes, no = _("yes"), _("no")
    rows: list[Row] = [[r.rank, r.number, r.title, r.applicant, r.votes, r.cost, yes if r.funded else no, r.amount, r.payer,
                        r.reason, r.override_reason] for r in results.rows]
    return (_("Round results"), [_("Rank"), _("Proposal number"), _("Project"), _("Applicant"), _("Votes"), _("Cost (yuan)"),
                                 _("Funded"), _("Award (yuan)"), _("Paid from"), _("Reason"), _("Override reason")], rows)


def funds_table(page: RoundPage) -> Table:
    """The funds the round draws on: each one's share of the budget, what it pays and what it still holds."""
    rows: list[Row] = [[f.name, f.share, f.awarded, f.reserved] for f in page.funds]
    return (_("Funds"), [_("Fund"), _("Share of the budget (yuan)"), _("Awards it pays (yuan)"), _("Still reserved (yuan)")], rows)


def proposals_table(page: RoundPage) -> Table:
    """The public proposals with the screening's answer (the applicant blank while a blind review runs)."""
    answer = {"feasible": _("Feasible"), "infeasible": _("Not feasible"), "pending": _("Not screened yet")}
    rows: list[Row] = [[p.number, p.title, p.applicant or "", p.beneficiaries, p.beneficiary_count, p.requested,
                        answer[p.feasibility], p.accepted_price, p.infeasible_reason, p.status_label] for p in page.proposals]
    return (_("Proposals"), [_("Proposal number"), _("Project"), _("Applicant"), _("Who benefits"), _("Number of beneficiaries"),
                             _("Requested (yuan)"), _("Feasibility"), _("Accepted price (yuan)"), _("Why not feasible"),
                             _("Status")], rows)


def needs_table(page: RoundPage) -> Table:
    rows: list[Row] = [[n.text, n.category_label, n.community, n.supporters, n.proposals] for n in page.needs]
    return (_("Needs"), [_("Need"), _("Category"), _("Community"), _("Supporters"), _("Proposals answering it")], rows)


def turnout_table(page: RoundPage) -> Table:
    t = page.turnout
    rows: list[Row] = []
    if t is not None:
        rows = [[c.name, c.ballots, c.online, c.paper, c.eligible, c.share] for c in t.communities]
        rows.append([_("All"), t.ballots, t.online, t.paper, t.eligible, t.share])
    header = [_("Community"), _("Ballots"), _("Online ballots"), _("Paper ballots"), _("Residents who may vote"), _("Share")]
    return (_("Turnout"), header, rows)


def round_summary(page: RoundPage) -> Table:
    r = page.round
    funds = "、".join(f.name for f in page.funds) or r.fund.name
    rows: list[Row] = [[_("Round"), r.title], [_("Fund"), funds], [_("Year"), r.year], [_("Budget"), r.budget],
                       [_("Allocation rule"), r.get_rule_display()], [_("Now"), page.current]]
    rows += [[ph.label, f"{timezone.localtime(ph.opens_at):%Y-%m-%d %H:%M} – {timezone.localtime(ph.closes_at):%Y-%m-%d %H:%M}"]
             for ph in page.timeline]
    if page.results is not None:
        rows += [[_("Awarded"), page.results.awarded], [_("Left over"), page.results.left]]
    return (_("Summary"), [_("Item"), _("Value")], rows)


def round_tables(page: RoundPage) -> list[Table]:
    tables = [round_summary(page), funds_table(page), proposals_table(page), needs_table(page)]
    if page.turnout is not None:
        tables.append(turnout_table(page))
    if page.results is not None:
        tables.append(results_table(page.results))
    return tables


# --- projects ------------------------------------------------------------------------------------------------------

def tranches_table(page: ProjectPage) -> Table:
    a = page.agreement
    yes, no = _("yes"), _("no")
    rows: list[Row] = [[t.n, t.amount, t.milestone, yes if t.paid else no, t.paid_on] for t in (a.tranches if a else [])]
    return (_("Tranches"), [_("Tranche"), _("Amount (yuan)"), _("Milestone"), _("Paid"), _("Paid on")], rows)


def progress_table(page: ProjectPage) -> Table:
    rows: list[Row] = [[p.period_end, p.text, p.person_times, p.sessions, p.milestone, len(p.photos)] for p in page.progress]
    return (_("Progress"), [_("Up to"), _("What was done"), _("Person-times"), _("Sessions"), _("Milestone"), _("Photos")], rows)


def budget_table(page: ProjectPage) -> Table:
    a = page.agreement
    rows: list[Row] = [[line.n, line.category, line.item, line.planned, line.actual] for line in (a.lines if a else [])]
    return (_("Budget"), [_("Line"), _("Category"), _("Item"), _("Planned (yuan)"), _("Spent (yuan)")], rows)


def project_summary(page: ProjectPage) -> Table:
    p = page.project
    rows: list[Row] = [[_("Project"), p.title], [_("Service area"), p.get_area_display()], [_("Origin"), p.get_origin_display()],
                       [_("Lead organization"), p.lead.name], [_("Station"), p.station.name if p.station else ""],
                       [_("Fund"), p.fund.name if p.fund else ""], [_("Period"), f"{p.starts_on} – {p.ends_on}"],
                       [_("Who benefits"), p.beneficiaries], [_("Number of beneficiaries"), p.beneficiary_count],
                       [_("Status"), p.get_status_display()], [_("Brand list"), p.get_brand_stage_display()]]
    if page.closing_report:
        rows.append([_("Closing report"), page.closing_report])
    a = page.agreement
    if a is not None:
        rows += [[_("Round"), a.round_title], [_("Award"), a.award], [_("Paid"), a.paid]]
        if a.closed:
            rows += [[_("Spent"), a.spent], [_("Final report"), a.final_report]]
    return (_("Summary"), [_("Item"), _("Value")], rows)


def project_tables(page: ProjectPage) -> list[Table]:
    tables = [project_summary(page)]
    if page.agreement is not None:
        tables += [tranches_table(page), budget_table(page)]
    return [*tables, progress_table(page)]
