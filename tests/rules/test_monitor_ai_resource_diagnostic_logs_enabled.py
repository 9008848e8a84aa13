from driftguard.policy import MonitoringPolicy, Policy
from driftguard.rules import monitor_ai_resource_diagnostic_logs_enabled as rule
from simulator import builders as b
from tests.rules.helpers import run

ACCOUNT = b.cognitive_account("s", "rg", "oai")
LAW = "/subscriptions/s/resourceGroups/mon/providers/Microsoft.OperationalInsights/workspaces/law"
DS = rule.DIAGNOSTIC_SETTINGS


def test_all_logs_to_workspace_passes() -> None:
    assert run(rule, ACCOUNT, related={DS: [b.diagnostic_setting(ACCOUNT["id"], LAW)]}) == []


def test_no_setting_fails() -> None:
    [f] = run(rule, ACCOUNT, related={DS: []})
    assert f.evidence == {"diagnosticSettings": []}


def test_disabled_or_wrong_workspace_fails() -> None:
    assert len(run(rule, ACCOUNT, related={DS: [b.diagnostic_setting(ACCOUNT["id"], LAW, enabled=False)]})) == 1
    policy = Policy(monitoring=MonitoringPolicy(log_analytics_workspace_id=LAW.upper()))
    assert run(rule, ACCOUNT, related={DS: [b.diagnostic_setting(ACCOUNT["id"], LAW)]}, policy=policy) == []
    other = b.diagnostic_setting(ACCOUNT["id"], LAW.replace("/law", "/other"))
    assert len(run(rule, ACCOUNT, related={DS: [other]}, policy=policy)) == 1


def test_audit_group_in_other_casing_passes() -> None:
    assert run(rule, ACCOUNT, related={DS: [b.diagnostic_setting(ACCOUNT["id"], LAW, category_group="AUDIT")]}) == []


def test_requires_diagnostic_settings_and_applies_to_ai_types() -> None:
    assert rule.META.requires == (DS,)
    assert rule.META.applies_to("microsoft.search/searchservices")
    assert not rule.META.applies_to("Microsoft.Storage/storageAccounts")
