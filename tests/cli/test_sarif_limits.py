"""SARIF within GitHub code scanning's documented limits: 25,000 results per run, 20 runs per file, one
category per run; every rule with help text and a link."""

from __future__ import annotations

import json
from pathlib import Path

from driftguard import rules
from driftguard.model import Finding, Mode, Severity
from driftguard.report import sarif
from simulator import builders as b
from tests.cli.terminal import driftguard


def finding(subscription: str, n: int) -> Finding:
    rid = f"/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a{n}"
    return Finding(
        "cognitiveservices_account_local_auth_disabled", rid, "Microsoft.CognitiveServices/accounts", Severity.HIGH, "m", Mode.REPORT, None
    )


def test_a_large_subscription_is_split_into_stable_parts_with_their_own_categories() -> None:
    many = [finding("s1", n) for n in range(60_000)]
    runs = sarif.runs(many, rules.metas())
    assert all(len(r["results"]) <= sarif.MAX_RESULTS_PER_RUN for r in runs)
    assert sum(len(r["results"]) for r in runs) == 60_000
    categories = [r["automationDetails"]["id"] for r in runs]
    assert len(set(categories)) == len(categories)
    again = sarif.runs(list(reversed(many)), rules.metas())
    placed = {res["partialFingerprints"]["driftguard/v1"]: r["automationDetails"]["id"] for r in runs for res in r["results"]}
    assert all(placed[res["partialFingerprints"]["driftguard/v1"]] == r["automationDetails"]["id"] for r in again for res in r["results"])


def test_every_rule_has_help_and_a_link() -> None:
    doc = sarif.document([], rules.metas())
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["helpUri"].endswith(f"docs/rules.md#{rule['id']}")
        assert "References:" in rule["help"]["text"]
        assert "](" in rule["help"]["markdown"]


def test_more_than_20_subscriptions_spill_into_more_files(tmp_path: Path) -> None:
    subs = [f"00000000-0000-0000-0000-{n:012d}" for n in range(25)]
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps([b.cognitive_account(s, "rg", "oai", local_auth=True) for s in subs]))
    run = driftguard("scan", "--snapshot", str(snapshot), "--output", str(tmp_path / "out.sarif"), home=tmp_path)
    assert run.code == 0, run.err
    first = json.loads((tmp_path / "out.sarif").read_text())
    second = json.loads((tmp_path / "out.2.sarif").read_text())
    assert len(first["runs"]) == 20
    assert len(second["runs"]) == 5
    categories = {r["automationDetails"]["id"] for d in (first, second) for r in d["runs"]}
    assert categories == {f"driftguard/subscription/{s}/" for s in subs}
