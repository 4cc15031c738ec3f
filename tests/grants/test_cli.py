"""`shanlian grants allocate`: the winners on one line, winners and reasons as JSON, and a bad file refused with
exit code 2 and its line, without a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

SMALL = "\n".join([
    "META", "key;value", "budget;600", "vote_type;approval",
    "PROJECTS", "project_id;cost;name", "x;300;Playground", "y;200;Library", "z;250;Garden",
    "VOTES", "voter_id;vote", "1;x", "2;x", "3;x", "4;x,y", "5;y,z", "6;y,z", "",
])


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.pb"
    path.write_text(SMALL, encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("grants", "allocate", *args, stdout=out)
    return out.getvalue()


def test_winners_on_one_line(small):
    assert run(str(small), "--rule", "greedy").strip() == "x y"  # 4 votes, then 3; z (2) does not fit the 100 left
    assert run(str(small), "--rule", "mes").strip() == "x y"
    assert run(str(small)).strip() == "x y"  # mes-add1-greedy by default


def test_json(small):
    body = json.loads(run(str(small), "--rule", "mes", "--json"))
    assert body["winners"] == ["x", "y"]
    assert body["total_cost"] == "500.00" and body["budget"] == "600.00" and body["voter_budget"] == "100.00"
    assert body["reasons"]["y"] == {"code": "mes_funded", "round": 2, "supporters": 3, "payment": "87.50", "paid_all": 1}
    assert body["reasons"]["z"] == {"code": "supporters_out_of_budget", "available": "25.00", "cost": "250.00",
                                    "approvals": 2}
    greedy = json.loads(run(str(small), "--rule", "greedy", "--json"))
    assert greedy["reasons"]["z"] == {"code": "does_not_fit", "remaining": "100.00", "cost": "250.00", "approvals": 2}
    assert greedy["reasons"]["x"] == {"code": "greedy_funded", "approvals": 4}
    assert "voter_budget" not in greedy


def test_bad_file_exits_2_with_the_line(tmp_path):
    bad = tmp_path / "bad.pb"
    bad.write_text(SMALL.replace("y;200;", "y;two hundred;"), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("grants", "allocate", str(bad), stdout=io.StringIO(), stderr=err)
    assert exc.value.code == 2
    assert "line 8: the cost of project y must be a number" in err.getvalue()
    assert "(pb_bad_cost)" in err.getvalue()


def test_missing_file_exits_2(tmp_path):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("grants", "allocate", str(tmp_path / "nope.pb"), stdout=io.StringIO(), stderr=err)
    assert exc.value.code == 2 and "nope.pb" in err.getvalue()


def test_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.pb"
    bad.write_text(SMALL.replace("4;x,y", "4;x,w"), encoding="utf-8")
    shanlian = Path(sys.executable).with_name("shanlian")
    done = subprocess.run([str(shanlian), "grants", "allocate", str(bad), "--rule", "greedy"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "line 15: voter 4 voted for project w, which PROJECTS does not list (pb_unknown_project)" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
