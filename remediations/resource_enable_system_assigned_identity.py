"""Adds a system-assigned managed identity (grants nothing by itself)."""

from remediations.base import COGNITIVE_WRITE, SEARCH_WRITE, constant_patch

REMEDIATION = constant_patch(
    remediation_id="resource_enable_system_assigned_identity",
    title="Add a system-assigned managed identity",
    resource_types=("Microsoft.CognitiveServices/accounts", "Microsoft.Search/searchServices"),
    actions=(*COGNITIVE_WRITE, *SEARCH_WRITE),
    changes={"identity.type": "SystemAssigned"},
    summary="add a system-assigned managed identity",
)
