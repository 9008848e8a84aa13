"""`driftguard review` on the simulated tenant finds the planted escalated, orphaned and off-persona
assignments, with the evidence behind each verdict; the planted idle workload identity holds a data-plane
role, whose use the Activity Log never shows, so it is reported as not evaluable, never as unused."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

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
    assert lines[0].startswith("assignment_id,scope,principal_id,principal_name,principal_upn,principal_deleted,principal_kind,role,")
    assert "authorization_roleassignment_used_recently" in lines[0]
    assert len(lines) == 9  # a header and the sample tenant's eight assignments (two of them the AI gateway's)
    rows = {r["principal_id"][-4:]: r for r in csv.DictReader(io.StringIO(review("csv")))}
    assert (rows["a001"]["principal_name"], rows["a001"]["principal_upn"]) == ("Alice Okafor", "alice.okafor@contoso.com")
    assert (rows["c003"]["principal_name"], rows["c003"]["principal_deleted"]) == ("", "true")
    assert rows["a001"]["role"] == "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"  # the id stays beside the name
    assert rows["a001"]["role_name"] == "Owner"


def test_the_table_names_people_and_roles_and_fits_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    table = review("table")
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "Alice Okafor (alice.okafor@contoso.com)" in table
    assert "deleted principal a1b2c3d4-0000-4000-8000-00000000c003" in table
    assert "standing Owner at the subscription" in table
    assert "8e3af657" not in table  # roles by name: their GUIDs are in JSON and CSV
    assert "a1b2c3d4-0000-4000-8000-00000000a001" not in table  # a named principal by its name
    assert "│ 11111111-1111-4111-8111-111111111111 / rg-ai-prod /" in table  # subscription beside group
    assert "UTC (matched by caller and scope)" in table


def test_open_cases_carry_the_exact_delete() -> None:
    out = io.StringIO()
    assert (
        main(["review", "--simulated", "--policy", str(POLICY), "--format", "json", "--open-cases"], stdout=out, stderr=io.StringIO()) == 0
    )
    cases = json.loads(out.getvalue())["cases"]
    assert len(cases["opened"]) >= 3  # the escalated, orphaned and off-persona assignments at least
    assert cases["batched"] is False


def test_html_report_draws_the_creep_and_names_the_planted_findings() -> None:
    page = review("html").replace("<wbr>", "")  # break opportunities inside ids are not text
    doc = json.loads(review("json"))
    assert "<script" not in page  # one self-contained page: no scripts
    assert page.count("<polyline") == 1  # no earlier review recorded: the growth line only
    privileged = sum(1 for r in doc["assignments"] if r["privileged"])
    assert doc["figures"]["total"]["privileged_standing"] == privileged
    assert f"(now {privileged})" in page
    for planted in ("a001", "c003", "d004"):
        assert f"a1b2c3d4-0000-4000-8000-00000000{planted}" in page
    assert "Alice Okafor (alice.okafor@contoso.com)" in page
    assert "Dana Silva (dana.silva@contoso.com)" in page
    assert "deleted principal a1b2c3d4-0000-4000-8000-00000000c003" in page
    assert "authorization_roleassignment_within_persona" in page
    assert doc["figures"]["by_persona"]["data_scientist"]["off_persona"] == 1


def run_review(*args: str, policy: Path = POLICY) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["review", "--simulated", "--policy", str(policy), *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_rule_and_severity_narrow_the_review_as_they_narrow_a_scan() -> None:
    code, out, _ = run_review("--format", "json", "--rule", "authorization_roleassignment_not_*")
    doc = json.loads(out)
    assert code == 0
    assert [r["principal_id"][-4:] for r in doc["assignments"]] == ["c003"]  # only the orphaned assignment
    assert set(doc["summary"]["by_rule"]) == {"authorization_roleassignment_not_orphaned"}
    _, table, _ = run_review("--rule", "authorization_roleassignment_not_orphaned")
    assert "authorization_roleassignment_not_orphaned" in table
    assert "authorization_roleassignment_privileged_not_standing" not in table
    assert table.startswith("1 of 8 role assignment(s) at AI scopes, 1 finding(s) (--severity, --rule)")
    _, everything, _ = run_review("--format", "json")
    _, severe, _ = run_review("--format", "json", "--severity", "high")
    assert 0 < len(json.loads(severe)["assignments"]) < len(json.loads(everything)["assignments"])


def test_a_rule_pattern_that_names_no_access_rule_is_refused() -> None:
    code, _, err = run_review("--rule", "storage_*")
    assert code == 2
    assert "--rule 'storage_*' matches no rule" in err


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((), 0),  # exit 1 only for --fail-on
        (("--fail-on", "high"), 1),
        (("--fail-on", "high", "--rule", "authorization_roleassignment_used_recently"), 0),  # no selected failure
        (("--fail-on", "info", "--severity", "critical", "--rule", "authorization_roleassignment_within_persona"), 0),
    ],
)
def test_fail_on_is_the_reviews_ci_gate(args: tuple[str, ...], code: int) -> None:
    assert run_review("--format", "json", *args)[0] == code


def test_an_exempted_assignment_is_shown_exempt_and_passes_the_gate(tmp_path: Path) -> None:
    doc = json.loads(run_review("--format", "json", "--rule", "authorization_roleassignment_not_orphaned")[1])
    orphan = doc["assignments"][0]["assignment_id"]
    policy = json.loads(POLICY.read_text())
    policy["exemptions"] = [
        {
            "resource": orphan,
            "rules": ["authorization_roleassignment_not_orphaned"],
            "reason": "removal scheduled with the owner",
            "approver": "ciso@contoso.com",
            "expires_on": "2099-12-31",
        }
    ]
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    gate = ("--rule", "authorization_roleassignment_not_orphaned", "--fail-on", "low")
    assert run_review("--format", "json", *gate)[0] == 1
    code, out, _ = run_review("--format", "json", *gate, policy=path)
    assert code == 0
    assert [e["rule"] for e in json.loads(out)["exempt"]] == ["authorization_roleassignment_not_orphaned"]
    code, table, _ = run_review(*gate, policy=path)
    assert code == 0
    flat = " ".join(table.replace("│", " ").split())  # the reason wraps inside its cell
    assert "exempt until 2099-12-31, approved by ciso@contoso.com: removal scheduled with the owner" in flat


def test_the_csv_marks_an_exempted_verdict_exempt(tmp_path: Path) -> None:
    policy = json.loads(POLICY.read_text())
    policy["exemptions"] = [
        {
            "resource": "/subscriptions/11111111-1111-4111-8111-111111111111/*",
            "rules": ["authorization_roleassignment_not_orphaned"],
            "reason": "removal scheduled with the owner",
            "approver": "ciso@contoso.com",
            "expires_on": "2099-12-31",
        }
    ]
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    code, out, _ = run_review("--format", "csv", "--rule", "*orphaned", policy=path)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["principal_id"][-4:] for r in rows] == ["c003"]
    verdict = rows[0]["authorization_roleassignment_not_orphaned"]
    assert verdict.startswith("exempt until 2099-12-31, approved by ciso@contoso.com: removal scheduled with the owner (fail: ")
    assert rows[0]["assignment_id"].startswith("/subscriptions/")  # the ids stay as they are
