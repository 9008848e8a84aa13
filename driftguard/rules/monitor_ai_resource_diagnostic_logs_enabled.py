"""AI resources send their audit logs to the approved Log Analytics workspace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.ids import fold
from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_true, prop, prop_list

DIAGNOSTIC_SETTINGS = "diagnosticSettings"

META = RuleMeta(
    id="monitor_ai_resource_diagnostic_logs_enabled",
    title="AI resources send allLogs or audit logs to Log Analytics",
    severity=Severity.MEDIUM,
    resource_types=(
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.Search/searchServices",
        "Microsoft.MachineLearningServices/workspaces",
    ),
    seed_section="Monitoring; maintain controls",
    default_mode=Mode.AUTO,
    remediation="monitor_diagnostic_setting_create",
    references=(
        Reference(
            "azure-policy", "1b4d1c4e-934c-4703-944c-27c82c06bebb", "Diagnostic logs in Azure AI services resources should be enabled"
        ),
        Reference(
            "azure-policy",
            "55d1f543-d1b0-4811-9663-d6d0dbc6326d",
            "Enable logging by category group for Cognitive Services to Log Analytics",
        ),
        Reference(
            "azure-policy", "afe0c3be-ba3b-4544-ba52-0c99672a8ad6", "Resource logs in Azure Machine Learning Workspaces should be enabled"
        ),
        Reference("azure-policy", "b4330a05-a843-4bc8-bf9a-cacce50c67f4", "Resource logs in Search services should be enabled"),
        Reference("mcsb", "LT-3", "Enable logging for security investigation"),
    ),
    requires=(DIAGNOSTIC_SETTINGS,),
)


def _sends_audit(setting: Mapping[str, Any], workspace: str | None) -> bool:
    target = str(prop(setting, "properties", "workspaceId") or "")
    if not target or (workspace is not None and fold(target) != fold(workspace)):
        return False
    for log in prop_list(setting, "properties", "logs"):
        group = str(prop(log, "categoryGroup") or "").lower()
        if group in ("alllogs", "audit") and is_true(prop(log, "enabled")):
            return True
    return False


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    settings = snapshot.related.get(DIAGNOSTIC_SETTINGS, ())
    workspace = context.policy.monitoring.log_analytics_workspace_id
    if any(_sends_audit(s, workspace) for s in settings):
        return []
    where = f"workspace {workspace}" if workspace else "a Log Analytics workspace"
    return [
        context.finding(
            META,
            snapshot,
            f"no diagnostic setting sends allLogs or audit logs to {where}",
            {"diagnosticSettings": [str(prop(s, "name")) for s in settings]},
        )
    ]
