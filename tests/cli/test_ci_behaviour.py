"""What a CI job relies on, through the real command in a subprocess at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator import builders as b
from tests.cli.terminal import ROOT, driftguard, environment

SUB = "00000000-0000-0000-0000-000000000001"
EVENTS = ROOT / "tests" / "fixtures" / "events" / "resource_notification_ai_account.json"


def estate() -> list[dict[str, object]]:
    return [b.cognitive_account(SUB, "rg", "oai", public=True, default_action="Allow", local_auth=True)]


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--subscription", SUB),
        ("inventory", "--management-group", "mg"),
        ("review", "--subscription", SUB),
        ("events", "--live", str(EVENTS)),
    ],
)
def test_a_missing_login_is_one_line_and_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    run = driftguard(*args, home=tmp_path)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "az login" in run.err
    assert "Traceback" not in run.err
    assert "DefaultAzureCredential" not in run.err


def test_the_subscriptions_setting_is_the_default_scope_and_azd_variables_are_fine(tmp_path: Path) -> None:
    azd = {"AZURE_ENV_NAME": "dev", "AZURE_LOCATION": "eastus", "AZURE_SUBSCRIPTION_ID": SUB, "DRIFTGUARD_KEY_VAULT_NAME": "kv"}
    run = driftguard("scan", home=tmp_path, env=environment(tmp_path, DRIFTGUARD_SUBSCRIPTIONS=SUB, **azd))
    assert run.code == 2
    assert "az login" in run.err  # it went live, on the setting's scope
    run = driftguard("scan", home=tmp_path, env=environment(tmp_path, **azd))
    assert run.code == 2
    assert "DRIFTGUARD_SUBSCRIPTIONS" in run.err
    assert driftguard("--version", home=tmp_path).out.startswith("driftguard ")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-16-le"])
def test_utf16_and_bom_snapshots_and_policies_are_read(encoding: str, tmp_path: Path) -> None:
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps(estate()), encoding=encoding)
    policy = tmp_path / "policy.toml"
    policy.write_text('[modes]\nstorage_account_shared_key_disabled = "report"\n', encoding=encoding)
    for args, stdin in (((str(snapshot),), b""), (("-",), snapshot.read_bytes())):
        run = driftguard("scan", "--snapshot", *args, "--policy", str(policy), "--format", "json", home=tmp_path, stdin=stdin)
        assert run.code == 0, run.err
        assert json.loads(run.out)["summary"]["evaluated"] == 1


def test_output_follows_the_extension_and_a_failed_scan_keeps_the_old_file(tmp_path: Path) -> None:
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps(estate()))
    for name, start in (("r.sarif", '{\n  "$schema"'), ("r.html", "<!doctype html>"), ("r.json", '{"schema_version"')):
        assert driftguard("scan", "--snapshot", str(snapshot), "--output", str(tmp_path / name), home=tmp_path).code == 0
        assert (tmp_path / name).read_text().startswith(start)
    (tmp_path / "bad.json").write_text("[{")
    run = driftguard("scan", "--snapshot", str(tmp_path / "bad.json"), "--output", str(tmp_path / "r.html"), home=tmp_path)
    assert run.code == 2
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    assert not list(tmp_path.glob(".*part"))


def test_exemptions_let_the_gate_pass_and_an_empty_estate_fails_it(tmp_path: Path) -> None:
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps(estate()))
    gate = ("scan", "--snapshot", str(snapshot), "--rule", "cognitiveservices_account_local_*", "--fail-on", "high")
    assert driftguard(*gate, home=tmp_path).code == 1
    policy = tmp_path / "policy.json"
    exemption = {"resource": f"/subscriptions/{SUB}/*", "rules": ["cognitiveservices_account_local_auth_disabled"]}
    policy.write_text(json.dumps({"exemptions": [{**exemption, "reason": "pilot", "approver": "ciso", "expires_on": "2099-01-01"}]}))
    run = driftguard(*gate, "--policy", str(policy), home=tmp_path)
    assert run.code == 0, run.err
    assert "exempt until 2099-01-01" in " ".join(run.out.split())
    # The HTML report marks the same finding exempt, with who approved it and why; the others are not.
    page = tmp_path / "exempt.html"
    assert driftguard("scan", "--snapshot", str(snapshot), "--policy", str(policy), "--output", str(page), home=tmp_path).code == 0
    rows = [r for r in page.read_text().replace("<wbr>", "").split("<tr") if "<summary>evidence" in r]  # the finding rows
    exempted = [r for r in rows if "cognitiveservices_account_local_auth_disabled</code>" in r]
    assert exempted
    assert all('class="exempted"' in r and "approved by ciso: pilot" in r for r in exempted)
    assert not any('class="exempted"' in r for r in rows if r not in exempted)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    run = driftguard("scan", "--snapshot", str(empty), home=tmp_path)
    assert run.code == 0
    assert "nothing to judge" in run.err
    assert driftguard("scan", "--snapshot", str(empty), "--fail-on", "critical", home=tmp_path).code == 1
    assert driftguard("scan", "--snapshot", str(snapshot), "--rule", "no_such_*", home=tmp_path).code == 2
    quiet = driftguard("scan", "--snapshot", str(empty), "--quiet", home=tmp_path)
    assert quiet.err == ""
