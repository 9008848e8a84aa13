"""The remediation registry: one explicit import per remediation, module name == id (a meta-test
checks it, and that every rule's remediation is here)."""

from __future__ import annotations

from types import ModuleType

from remediations import (
    app_sessionpool_disable_egress,
    authorization_roleassignment_delete,
    cognitiveservices_account_block_ip,
    cognitiveservices_account_disable_local_auth,
    cognitiveservices_account_disable_public_network_access,
    cognitiveservices_account_enable_defender_for_ai,
    cognitiveservices_account_regenerate_keys,
    cognitiveservices_account_restore_network_acls,
    cognitiveservices_account_restrict_outbound,
    cognitiveservices_rai_policy_block_jailbreak,
    cognitiveservices_rai_policy_restore,
    machinelearning_workspace_datastores_identity,
    machinelearning_workspace_disable_public_network_access,
    monitor_diagnostic_setting_create,
    private_endpoint_connection_reject,
    resource_enable_system_assigned_identity,
    search_service_disable_local_auth,
    search_service_disable_public_network_access,
    search_service_regenerate_admin_keys,
    security_pricing_enable_ai,
    storage_account_disable_blob_public_access,
    storage_account_disable_public_network_access,
    storage_account_disable_shared_key,
    storage_account_regenerate_keys,
)
from remediations.base import Remediation

MODULES: tuple[ModuleType, ...] = (
    authorization_roleassignment_delete,
    cognitiveservices_account_disable_public_network_access,
    cognitiveservices_account_restore_network_acls,
    cognitiveservices_account_restrict_outbound,
    cognitiveservices_account_disable_local_auth,
    cognitiveservices_account_regenerate_keys,
    resource_enable_system_assigned_identity,
    cognitiveservices_account_enable_defender_for_ai,
    cognitiveservices_rai_policy_restore,
    private_endpoint_connection_reject,
    machinelearning_workspace_disable_public_network_access,
    machinelearning_workspace_datastores_identity,
    search_service_disable_public_network_access,
    search_service_disable_local_auth,
    search_service_regenerate_admin_keys,
    storage_account_disable_public_network_access,
    storage_account_disable_blob_public_access,
    storage_account_disable_shared_key,
    storage_account_regenerate_keys,
    monitor_diagnostic_setting_create,
    security_pricing_enable_ai,
    app_sessionpool_disable_egress,
    # Playbooks of Defender for AI alerts (driftguard/alerts.py): no rule names them.
    cognitiveservices_account_block_ip,
    cognitiveservices_rai_policy_block_jailbreak,
)


def registry() -> dict[str, Remediation]:
    return {m.REMEDIATION.id: m.REMEDIATION for m in MODULES}


def all_actions() -> frozenset[str]:
    """The union of RBAC actions the remediations declare: exactly what the remediator role grants."""
    return frozenset(a for m in MODULES for a in m.REMEDIATION.actions)
