"""`driftguard review` on the simulated tenant finds the planted escalated, orphaned and off-persona
assignments, with the evidence behind each verdict; the planted idle workload identity holds a data-plane
role, whose use the Activity Log never shows, so it is reported as not evaluable, never as unused."""

from __future__ import annotations

import io
import json
from pathlib import Path

from driftguard.cli import main

POLICY = Path(__file__).resolve().parents[2] / "examples" / "policy.json"


def review(fmt: str) -> str:
    out = io.StringIO()
    assert main(["review", "--simulated", "--policy", str(POLICY), "--format", fmt], stdout=out, stderr=io.StringIO()) == 0
    return out.getvalue()


def test_planted_privilege_creep_is_found() -> None:
    doc = json.loads(review("json"))
    rows = {r["principal_id"][-4:]: r for r in doc["assignments"]}
    assert doc["summary"]["activity_ok"] is True
    assert rows["a001"]["verdicts"]["authorization_roleassignment_privileged_not_standing"].startswith("fail")  # escalated
    assert rows["c003"]["verdicts"]["authorization_roleassignment_not_orphaned"].startswith("fail")  # orphaned
    assert rows["d004"]["verdicts"]["authorization_roleassignment_within_persona"].startswith("fail")  # off-persona
    # Cognitive Services OpenAI User: data-plane calls leave no Activity Log record, so no verdict of disuse.
    assert rows["b002"]["verdicts"]["authorization_roleassignment_used_recently"].startswith("not evaluated")
    assert "Activity Log does not record" in rows["b002"]["verdicts"]["authorization_roleassignment_used_recently"]
    assert rows["e005"]["verdicts"]["authorization_roleassignment_privileged_not_standing"] == "pass"  # an IT administrator
    assert rows["f006"]["verdicts"]["authorization_roleassignment_privileged_not_standing"] == "pass"  # activated through PIM
    assert rows["f006"]["verdicts"]["authorization_roleassignment_used_recently"] == "pass"  # expires by itself
    assert rows["d004"]["last_activity"] is not None  # matched on caller and scope: used, so not flagged unused
    assert rows["d004"]["verdicts"]["authorization_roleassignment_used_recently"] == "pass"


def test_csv_has_one_row_per_assignment_with_every_verdict() -> None:
    lines = review("csv").strip().splitlines()
    assert lines[0].startswith("assignment_id,scope,principal_id")
    assert "authorization_roleassignment_used_recently" in lines[0]
    assert len(lines) == 9  # a header and the sample tenant's eight assignments (two of them the AI gateway's)


def test_open_cases_carry_the_exact_delete() -> None:
    out = io.StringIO()
    assert (
        main(["review", "--simulated", "--policy", str(POLICY), "--format", "json", "--open-cases"], stdout=out, stderr=io.StringIO()) == 0
    )
    cases = json.loads(out.getvalue())["cases"]
    assert len(cases["opened"]) >= 3  # the escalated, orphaned and off-persona assignments at least
    assert cases["batched"] is False


def test_html_report_draws_the_creep_and_names_the_planted_findings() -> None:
    page = review("html")
    doc = json.loads(review("json"))
    assert "<script" not in page  # one self-contained page: no scripts
    assert page.count("<polyline") == 1  # no earlier review recorded: the growth line only
    privileged = sum(1 for r in doc["assignments"] if r["privileged"])
    assert doc["figures"]["total"]["privileged_standing"] == privileged
    assert f"(now {privileged})" in page
    for planted in ("a001", "c003", "d004"):
        assert f"a1b2c3d4-0000-4000-8000-00000000{planted}" in page
    assert "authorization_roleassignment_within_persona" in page
    assert doc["figures"]["by_persona"]["data_scientist"]["off_persona"] == 1
