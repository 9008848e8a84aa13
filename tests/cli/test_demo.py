"""`driftguard demo` tells the whole story against the simulator, with nothing configured."""

import io
import re
from pathlib import Path

from driftguard.cli import main
from driftguard.demo import DEVELOPER, PIPELINE


def test_demo_story(tmp_path: Path) -> None:
    out = io.StringIO()
    report = tmp_path / "report.html"
    policy = Path(__file__).resolve().parents[2] / "examples" / "policy.json"
    code = main(["demo", "--policy", str(policy), "--report", str(report)], stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert code == 0, text
    sections = text.split("─ ")
    assert "compliant (baselines recorded)" in text
    # 1: the sweep is deep: deployments were read per account, so both deployment rules judged them
    flat = " ".join(text.split())
    assert re.search(r"content filter: \d+ case_opened, \d+ compliant", flat), flat
    assert re.search(r"approved model: (\d+ case_opened, )?\d+ compliant", flat), flat
    # 2: public access re-enabled by the developer is reverted
    assert "reverted cognitiveservices_account_public_network_access_disabled" in " ".join(text.split())
    # 3: the developer's key listing (on the account whose key auth is on) becomes a case to rotate them
    assert " ".join(text.split()).count("case_opened cognitiveservices_account_keys_not_exposed") == 1
    assert "reverted cognitiveservices_account_keys_not_exposed" not in " ".join(text.split())
    # 4: the weakened content filter is restored
    assert "restore the last-known-good RAI policy" in " ".join(text.split())  # wrapped at the width
    # 5: the pipeline is stopped and named
    assert "flapping" in text
    # by the directory's names, not the object ids the engine's reason carries
    assert "Changed back by: deploy-pipeline, Dana Developer (dana.developer@contoso.onmicrosoft.com)" in flat
    assert PIPELINE not in flat
    assert DEVELOPER not in flat
    assert "open case(s) waiting for a security approver" in text
    # 6: a session pool's egress turned back on by the developer is reverted
    assert "reverted app_sessionpool_egress_disabled" in " ".join(text.split())
    assert "egress back on for the sandbox pool pool-agents-prod" in text
    # 7: the sweep's gateway bypass (an account behind the AI gateway that lets another address in), a case
    assert "case_opened cognitiveservices_account_gateway_only" in " ".join(text.split())
    assert "gateway bypass: the account sits behind the gateway apim-contoso-ai" in " ".join(text.split())
    assert "198.51.100.23" in text
    # 8: standing Owner granted by the developer becomes a case
    assert "case_opened authorization_roleassignment_privileged_not_standing" in " ".join(text.split())
    # 10: canary probes: the deployment with a strict filter blocks them, the one whose jailbreak filter is
    # off (relaxed-debug) fails and becomes a high case; no prompt text is printed
    probes = " ".join(text.split("10. Canary probes")[1].split("11. Defender")[0].split())
    assert "blocks 4 blocked" in probes
    assert "fails 2 blocked, 2 passed" in probes
    assert "case_opened cognitiveservices_deployment_canary_probe_blocked" in probes
    assert "relaxed-debug" in probes
    assert "Do Anything Now" not in text
    # 8: removed by two approvers, the role by name
    assert "applied and verified: remove the Owner role assignment" in flat
    assert "8e3af657" not in flat
    # Every line fits 80 columns (the default when the output is not a terminal).
    assert max(len(line) for line in text.splitlines()) <= 80
    # 11: two Defender for AI alerts become incident cases (one query); the jailbreak playbook is applied on approval
    assert "2 alert(s) read in one Resource Graph query; 2 incident case(s) opened" in flat
    assert "incident AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt (medium)" in flat
    assert "0 new case(s), 2 already open" in flat
    # The suspicious-IP incident has no plan to apply, and says why (the EU account lets 0.0.0.0/0 in).
    assert "198.51.100.23 is inside the allowed range 0.0.0.0/0: narrow that range by hand" in flat
    # No section title is cut short at 80 columns.
    assert not [line for line in text.splitlines() if line.startswith("─") and "…" in line]
    assert "applied and verified: turn the jailbreak filter of RAI policy 'relaxed-debug' to blocking" in flat
    assert "relaxed-debug is now enabled=True, blocking=True" in flat
    assert report.read_text().startswith("<!doctype html>")
    assert len(sections) > 5
