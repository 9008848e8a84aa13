"""Every table fits 80 columns and keeps identifiers whole: run through the real command at COLUMNS=80."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from driftguard import rules
from tests.cli.terminal import ROOT, WIDTH, driftguard, widest

EVENTS = ROOT / "tests" / "fixtures" / "events" / "resource_notification_ai_account.json"
RULE_IDS = sorted(m.id for m in rules.metas())


def whole_ids(text: str) -> set[str]:
    """Rule ids found whole on one line (a folded id would be two fragments, neither a rule id)."""
    return {token for token in re.findall(r"[a-z][a-z0-9_]+", text) if token in RULE_IDS}


def test_the_command_runs_this_worktrees_code(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.cli.terminal import environment

    where = subprocess.run(
        [sys.executable, "-c", "import driftguard; print(driftguard.__file__)"],
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        check=True,
    ).stdout
    assert Path(where.strip()).resolve().is_relative_to(ROOT.resolve())


def test_rules_fit_and_name_every_rule_whole(tmp_path: Path) -> None:
    run = driftguard("rules", home=tmp_path)
    assert run.code == 0, run.err
    assert widest(run.out) <= WIDTH
    assert whole_ids(run.out) == set(RULE_IDS)
    # the remediation names (up to 55 characters) are whole too
    for meta in rules.metas():
        if meta.remediation:
            assert f"fix: {meta.remediation}" in run.out


def test_scan_fits_and_shows_every_finding_whole_with_its_subscription(tmp_path: Path) -> None:
    table = driftguard("scan", "--simulated", home=tmp_path)
    doc = json.loads(driftguard("scan", "--simulated", "--format", "json", home=tmp_path).out)
    assert table.code == 0, table.err
    assert widest(table.out) <= WIDTH
    assert whole_ids(table.out) >= {f["rule"] for f in doc["findings"]}
    flat = " ".join(table.out.split())
    for f in doc["findings"]:
        parts = f["resource_id"].split("/")
        # the subscription beside the resource group (the row may wrap after it)
        assert (f"{parts[2]} / {parts[4]} /" if parts[3].lower() == "resourcegroups" else f"{parts[2]} /") in flat


def test_review_inventory_and_events_fit(tmp_path: Path) -> None:
    review = driftguard("review", "--simulated", home=tmp_path)
    review_doc = json.loads(driftguard("review", "--simulated", "--format", "json", home=tmp_path).out)
    failed = {k for a in review_doc["assignments"] for k, v in a["verdicts"].items() if v.startswith("fail")}
    assert review.code == 0, review.err
    assert failed, "the simulated tenant has creep"
    assert widest(review.out) <= WIDTH
    assert whole_ids(review.out) >= failed
    assets = driftguard("inventory", "--simulated", home=tmp_path)
    assert assets.code == 0, assets.err
    assert widest(assets.out) <= WIDTH
    assert "oai-contoso-prod" in assets.out
    events = driftguard("events", str(EVENTS), home=tmp_path)
    events_doc = json.loads(driftguard("events", str(EVENTS), "--format", "json", home=tmp_path).out)
    assert events.code == 0, events.err
    assert widest(events.out) <= WIDTH
    assert whole_ids(events.out) == {r["rule"] for r in events_doc if r["rule"]}


def test_demo_fits(tmp_path: Path) -> None:
    run = driftguard("demo", "--report", str(tmp_path / "r.html"), home=tmp_path, timeout=300)
    assert run.code == 0, run.err
    assert widest(run.out) <= WIDTH
    assert {
        "cognitiveservices_account_public_network_access_disabled",
        "cognitiveservices_deployment_content_filter_enforced",
        "authorization_roleassignment_privileged_not_standing",
    } <= whole_ids(run.out)
    lines = run.out.splitlines()
    # Every step's heading whole (no title cut short with an ellipsis)...
    assert [line for line in lines if line.startswith("─") and "…" in line] == []
    # ...and an indented line that wraps goes on indented (not back at the margin).
    for before, line in itertools.pairwise(lines):
        if line[:1].islower() and before[:1] == " ":
            raise AssertionError(f"{line!r} wraps back to the margin after {before!r}")


@pytest.mark.parametrize("columns", ["120", "200"])
def test_a_wider_terminal_is_used(columns: str, tmp_path: Path) -> None:
    from tests.cli.terminal import environment

    run = driftguard("rules", home=tmp_path, env=environment(tmp_path, COLUMNS=columns))
    assert WIDTH < widest(run.out) <= int(columns)


def test_a_90_character_resource_group_is_shortened_in_tables_never_split(tmp_path: Path) -> None:
    from simulator import builders as b

    sub = "11111111-1111-4111-8111-111111111111"
    group = ("rg-contoso-ai-platform-shared-services-westeurope-" + "0123456789" * 5)[:90]  # ARM allows 90
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps([b.cognitive_account(sub, group, "oai-research", public=True, default_action="Allow", local_auth=True)]))
    # 56 characters, its head and tail around "...": fits the wide column of every table at 80 columns
    shortened = f"{group[:26]}...{group[-27:]}"
    for command in ("scan", "inventory"):
        run = driftguard(command, "--snapshot", str(snapshot), "--no-deep", home=tmp_path)
        assert run.code == 0, run.err
        assert widest(run.out) <= WIDTH
        lines = [line for line in run.out.splitlines() if group[:10] in line or group[-10:] in line]
        assert lines, run.out
        assert all(shortened in line for line in lines), run.out  # never a fragment of the name on a line of its own
        assert f"{sub} / {shortened} / oai-research" in " ".join(run.out.replace("│", " ").split())
    doc = json.loads(driftguard("scan", "--snapshot", str(snapshot), "--no-deep", "--format", "json", home=tmp_path).out)
    assert {f["resource_id"].split("/")[4] for f in doc["findings"]} == {group}  # whole in JSON
    sarif = driftguard("scan", "--snapshot", str(snapshot), "--no-deep", "--format", "sarif", home=tmp_path).out
    assert group in sarif
    assert shortened not in sarif
