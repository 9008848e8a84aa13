"""Creates the `driftguard` diagnostic setting: allLogs and AllMetrics to the configured workspace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import CannotPlan, PlanContext, Remediation, canonical_id

ID = "monitor_diagnostic_setting_create"
NAME = "driftguard"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    workspace = context.policy.monitoring.log_analytics_workspace_id
    if not workspace:
        raise CannotPlan("no Log Analytics workspace configured (policy monitoring.log_analytics_workspace_id)")
    rid = canonical_id(resource)
    body = {
        "properties": {
            "workspaceId": workspace,
            "logs": [{"categoryGroup": "allLogs", "enabled": True}],
            "metrics": [{"category": "AllMetrics", "enabled": True}],
        }
    }
    step = Step("PUT", f"{rid}/providers/Microsoft.Insights/diagnosticSettings/{NAME}", api_versions.DIAGNOSTIC_SETTINGS, body)
    return Plan(
        ID,
        rid,
        (step,),
        {"diagnosticSettings.driftguard": None},
        {"diagnosticSettings.driftguard": workspace},
        "send allLogs and AllMetrics to the security workspace",
    )


REMEDIATION = Remediation(
    ID,
    "Send an AI resource's logs to Log Analytics",
    ("Microsoft.CognitiveServices/accounts", "Microsoft.Search/searchServices", "Microsoft.MachineLearningServices/workspaces"),
    ("Microsoft.Insights/diagnosticSettings/read", "Microsoft.Insights/diagnosticSettings/write"),
    plan,
    touches="Adds a diagnostic setting that sends the resource's logs to the Log Analytics workspace: nothing stops working; ingestion is billed by the workspace.",
)
