"""Machine Learning and Foundry hub/project workspaces deny public network access.

A Project inherits its network settings from its Hub (CONTROLS.md): what a project lets in is what its
hub lets in, so a project is judged on its hub's setting, which the engine reads with it (`HUB`), and
the fix goes to the hub. Without the hub a project cannot be judged (never taken as compliant).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, prop, same

# The hub a project inherits from, read with the project (one resource; none when the hub is gone).
HUB = "hub"

META = RuleMeta(
    id="machinelearning_workspace_public_network_access_disabled",
    title="Machine Learning workspaces deny public network access",
    severity=Severity.HIGH,
    resource_types=("Microsoft.MachineLearningServices/workspaces",),
    seed_section="Deny inbound internet access",
    default_mode=Mode.REVERT,
    remediation="machinelearning_workspace_disable_public_network_access",
    references=(
        Reference(
            "azure-policy", "438c38d2-3772-465a-a9cc-7a6666a275ce", "Azure Machine Learning Workspaces should disable public network access"
        ),
        Reference(
            "azure-policy",
            "a10ee784-7409-4941-b091-663697637c0f",
            "Configure Azure Machine Learning Workspaces to disable public network access",
        ),
        Reference("mitre-atlas", "AML.T0049", "Exploit Public-Facing Application"),
    ),
)


def is_project(resource: Mapping[str, Any]) -> bool:
    return same(prop(resource, "kind"), "Project")


def hub_id(resource: Mapping[str, Any]) -> str | None:
    """The hub a project names (`properties.hubResourceId`), or None for any other workspace."""
    if not is_project(resource):
        return None
    value = prop(resource, "properties", "hubResourceId")
    return value if isinstance(value, str) and value else None


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    judged = snapshot.resource
    if is_project(snapshot.resource):
        hubs = snapshot.related.get(HUB)
        if not hubs:
            named = hub_id(snapshot.resource)
            raise NotEvaluable(
                f"a project inherits public network access from its hub {named!r}, which was not read"
                if named
                else "a project without a hubResourceId: its network settings cannot be known"
            )
        judged = hubs[0]
    value = prop(judged.get("properties") or {}, "publicNetworkAccess")
    if same(value, "Disabled"):
        return []
    return [
        context.finding(
            META,
            snapshot,
            "public network access is enabled" + (" on the hub the project inherits it from" if judged is not snapshot.resource else ""),
            {
                "publicNetworkAccess": value,
                "kind": prop(snapshot.resource, "kind"),
                "hubResourceId": prop(snapshot.properties, "hubResourceId"),
            },
        )
    ]
