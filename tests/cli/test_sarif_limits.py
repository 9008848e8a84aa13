"""SARIF within GitHub code scanning's documented limits: 5,000 results per run included (25,000
accepted), 20 runs per file, 10 MB per file gzip-compressed, one category per run; every rule with help
text and a link."""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path

import pytest

from driftguard import rules
from driftguard.cli import main
from driftguard.model import Finding, Mode, Severity
from driftguard.report import sarif
from simulator import builders as b
from simulator import generate
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


def test_rule_links_use_the_declared_project_address_or_the_users_own(tmp_path: Path) -> None:
    import tomllib

    import driftguard

    urls = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]["urls"]
    assert (urls["Repository"], urls["Documentation"]) == (driftguard.REPOSITORY_URL, driftguard.RULES_URL)
    driver = sarif.document([], rules.metas())["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == driftguard.REPOSITORY_URL
    assert {r["helpUri"] for r in driver["rules"]} == {f"{driftguard.RULES_URL}#{m.id}" for m in rules.metas()}
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps([b.cognitive_account("s1", "rg", "oai", local_auth=True)]))
    out = io.StringIO()
    args = ["scan", "--snapshot", str(snapshot), "--format", "sarif", "--help-uri-base", "https://wiki.contoso.com/driftguard/rules"]
    assert main(args, stdout=out, stderr=io.StringIO()) == 0
    rule = json.loads(out.getvalue())["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["helpUri"] == f"https://wiki.contoso.com/driftguard/rules#{rule['id']}"
    assert f"[Rule reference](https://wiki.contoso.com/driftguard/rules#{rule['id']})" in rule["help"]["markdown"]
    err = io.StringIO()
    assert main([*args[:-1], "wiki/rules#x"], stdout=io.StringIO(), stderr=err) == 2
    assert "is not an http(s) address" in err.getvalue()
    assert main(["scan", "--snapshot", str(snapshot), "--help-uri-base", "https://x.example/r"], stdout=io.StringIO(), stderr=err) == 2
    assert "--help-uri-base only means something for SARIF output" in err.getvalue()


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


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A generated estate (the benchmark's generator) with every resource in one subscription: more
    findings than one run may hold."""
    subscription = generate.subscription(1)
    path = tmp_path_factory.mktemp("estate") / "estate.json"
    text = json.dumps(list(generate.resources(14_000, subscriptions=1)))
    path.write_text(re.sub(r"/subscriptions/[0-9a-f-]{36}/", f"/subscriptions/{subscription}/", text))
    return path, subscription


def scan_sarif(tmp_path: Path, snapshot: Path) -> list[Path]:
    err = io.StringIO()
    code = main(["scan", "--snapshot", str(snapshot), "--output", str(tmp_path / "out.sarif")], stdout=io.StringIO(), stderr=err)
    assert code == 0, err.getvalue()
    return sorted(tmp_path.glob("out*.sarif"), key=lambda p: (len(p.name), p.name))


def test_no_run_holds_more_results_than_code_scanning_includes(tmp_path: Path, estate: tuple[Path, str]) -> None:
    snapshot, subscription = estate
    (out,) = scan_sarif(tmp_path, snapshot)
    doc = json.loads(out.read_text())
    sizes = {r["automationDetails"]["id"]: len(r["results"]) for r in doc["runs"]}
    assert sum(sizes.values()) > 5_000  # more than one run would include
    assert max(sizes.values()) <= 5_000
    base = f"driftguard/subscription/{subscription}/"
    assert sorted(sizes) == sorted([base, *(f"{base}part-{n}/" for n in range(2, len(sizes) + 1))])


def test_files_stay_within_the_gzip_limit_measured(tmp_path: Path, estate: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", 200_000)
    paths = scan_sarif(tmp_path, estate[0])
    assert [p.name for p in paths][:2] == ["out.sarif", "out.2.sarif"]
    fingerprints: list[str] = []
    categories: list[str] = []
    for p in paths:
        assert len(gzip.compress(p.read_bytes())) <= 200_000, p.name
        doc = json.loads(p.read_text())
        categories += [r["automationDetails"]["id"] for r in doc["runs"]]
        fingerprints += [res["partialFingerprints"]["driftguard/v1"] for r in doc["runs"] for res in r["results"]]
    assert len(set(categories)) == len(categories)
    assert len(set(fingerprints)) == len(fingerprints) > 5_000  # every result, once


def test_a_run_over_the_gzip_limit_alone_is_refused_in_one_line() -> None:
    with pytest.raises(sarif.RunTooLarge, match="narrow the scan with --severity or --rule"):
        sarif.files([finding("s1", n) for n in range(2_000)], rules.metas(), max_gzip_bytes=20_000)
