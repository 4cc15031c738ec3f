"""The allocation engine (shanlian.grants.allocation) against pabutools, the reference implementation, on real
participatory-budgeting elections: the same winners, and how much faster.

    .venv/bin/python bench/allocation.py                      # Wieliczka 2023 and Łódź 2022, all three rules
    .venv/bin/python bench/allocation.py --elections poland_wieliczka_2023.pb --rules mes-add1-greedy
    .venv/bin/python bench/allocation.py --record tests/grants/data/pabutools_winners.json   # every approval file

The table gives each side's CPU seconds (this process's, so other work on the machine moves them less) for the
rule alone: both files are read before the clock starts; pabutools builds its satisfaction profile inside the rule,
ours merges identical ballots inside it. Ours is the best of --repeat runs; pabutools runs once (Łódź's add-one
takes it about ten minutes). Exit status 1 when any winners differ. `--record` writes pabutools' winners for every
approval election in the data directory, so the test suite compares without pabutools installed
(pip install -e .[bench] installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanlian.settings")

DATA = ROOT.parent / "shared" / "data" / "pabulib"
RULES = ("greedy", "mes", "mes-add1-greedy")
DEFAULT_ELECTIONS = ("poland_wieliczka_2023.pb", "poland_lodz_2022_.pb")


def pabutools_rule(rule: str, instance: Any, profile: Any) -> list[str]:
    """The pabutools call each of our rules is held to (cost satisfaction: greedy by votes, MES with cost utilities)."""
    from pabutools.election import Cost_Sat
    from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    elif rule == "mes":
        outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    else:
        outcome = completion_by_rule_combination(
            instance, profile, [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}])
    return [project.name for project in outcome]


def is_approval(path: Path) -> bool:
    with path.open(encoding="utf-8-sig") as stream:
        for line in stream:
            if line.startswith("vote_type;"):
                return line.strip().split(";")[1] in ("approval", "choose-1")
            if line.strip().upper() == "PROJECTS":
                return False
    return False


def _record_one(path: str) -> tuple[str, dict[str, list[str]], float]:
    from pabutools.election import parse_pabulib

    start = time.perf_counter()
    instance, profile = parse_pabulib(path)
    winners = {rule: pabutools_rule(rule, instance, profile) for rule in RULES}
    return Path(path).name, winners, time.perf_counter() - start


def record(target: Path, jobs: int) -> None:
    from importlib.metadata import version

    import pabutools  # noqa: F401  (fail early when the bench extra is not installed)

    # The largest first: Łódź takes longest on its own, while the other workers get through the rest.
    files = sorted((p for p in DATA.glob("*.pb") if is_approval(p)), key=lambda p: -p.stat().st_size)
    elections: dict[str, dict[str, list[str]]] = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for done, (name, winners, seconds) in enumerate(pool.map(_record_one, map(str, files)), 1):
            elections[name] = winners
            print(f"[{done}/{len(files)}] {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    body = {
        "source": "pabutools " + version("pabutools") + ", from bench/allocation.py --record",
        "rules": {
            "greedy": "greedy_utilitarian_welfare(sat_class=Cost_Sat)",
            "mes": "method_of_equal_shares(sat_class=Cost_Sat)",
            "mes-add1-greedy": "completion_by_rule_combination([method_of_equal_shares, greedy_utilitarian_welfare], "
                               "[{sat_class: Cost_Sat, voter_budget_increment: 1}, {sat_class: Cost_Sat}])",
        },
        "elections": dict(sorted(elections.items())),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(elections)} elections written to {target}", file=sys.stderr)


def compare(elections: list[str], rules: list[str], repeat: int) -> int:
    import django

    django.setup()
    from pabutools.election import parse_pabulib

    from shanlian.grants import pabulib
    from shanlian.grants.allocation import allocate

    rows = ["| election | rule | pabutools CPU s | ours CPU s | speed-up | winners identical |", "|---|---|---:|---:|---:|---|"]
    differ = 0
    for name in elections:
        path = DATA / name
        instance, profile = parse_pabulib(str(path))
        election = pabulib.read(path)
        for rule in rules:
            start = time.process_time()
            theirs = pabutools_rule(rule, instance, profile)
            their_seconds = time.process_time() - start
            our_seconds = float("inf")
            for _ in range(repeat):
                start = time.process_time()
                ours = allocate(election, rule).winners
                our_seconds = min(our_seconds, time.process_time() - start)
            same = ours == theirs
            differ += not same
            rows.append(f"| {name.removesuffix('.pb')} | {rule} | {their_seconds:.2f} | {our_seconds:.3f} | "
                        f"{their_seconds / our_seconds:.0f}× | {'yes' if same else 'NO'} |")
            print(rows[-1], file=sys.stderr, flush=True)
            if not same:
                print(f"  pabutools: {theirs}\n  ours:      {ours}", file=sys.stderr)
    print("\n".join(rows))
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elections", nargs="+", default=list(DEFAULT_ELECTIONS), help="file names in the data directory")
    parser.add_argument("--rules", nargs="+", choices=RULES, default=list(RULES))
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours, the best is kept")
    parser.add_argument("--record", type=Path, help="write pabutools' winners for every approval election to this JSON file")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for --record")
    args = parser.parse_args()
    if args.record:
        record(args.record, args.jobs)
        return 0
    return compare(args.elections, args.rules, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
