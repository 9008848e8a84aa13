"""The rule registry: one explicit import per rule, module name == rule id (a meta-test checks it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from driftguard.model import Finding, ResourceSnapshot
from driftguard.rules import (
    apimanagement_backend_managed_identity,
    apimanagement_namedvalue_no_account_key,
    apimanagement_service_identity_least_privilege,
    app_sessionpool_container_resources_limited,
    app_sessionpool_egress_disabled,
    app_sessionpool_lifetime_bounded,
    app_sessionpool_registry_identity,
    authorization_roleassignment_not_orphaned,
    authorization_roleassignment_privileged_not_standing,
    authorization_roleassignment_used_recently,
    authorization_roleassignment_within_persona,
    authorization_roledefinition_least_privilege,
    cognitiveservices_account_customer_managed_key,
    cognitiveservices_account_defender_for_ai_enabled,
    cognitiveservices_account_gateway_only,
    cognitiveservices_account_keys_not_exposed,
    cognitiveservices_account_local_auth_disabled,
    cognitiveservices_account_managed_identity_enabled,
    cognitiveservices_account_network_rules_restricted,
    cognitiveservices_account_outbound_restricted,
    cognitiveservices_account_private_endpoint_approved_only,
    cognitiveservices_account_public_network_access_disabled,
    cognitiveservices_deployment_canary_probe_blocked,
    cognitiveservices_deployment_content_filter_enforced,
    cognitiveservices_deployment_model_approved,
    machinelearning_workspace_datastores_identity_auth,
    machinelearning_workspace_managed_network_isolated,
    machinelearning_workspace_public_network_access_disabled,
    monitor_ai_resource_diagnostic_logs_enabled,
    search_service_local_auth_disabled,
    search_service_public_network_access_disabled,
    security_pricing_ai_defender_enabled,
    storage_account_blob_public_access_disabled,
    storage_account_public_network_access_disabled,
    storage_account_shared_key_disabled,
)
from driftguard.rules.base import Evaluate, NotEvaluable, RuleContext, RuleMeta

RESOURCE_RULES: tuple[ModuleType, ...] = (
    # The order findings are reported in. It decides nothing about safety: the responder acts on the
    # findings no fix answers (such as the gateway bypass) before any write, and judges them again on
    # the state a verified fix left (respond.Responder._process).
    cognitiveservices_account_gateway_only,
    cognitiveservices_account_public_network_access_disabled,
    cognitiveservices_account_network_rules_restricted,
    cognitiveservices_account_private_endpoint_approved_only,
    cognitiveservices_account_outbound_restricted,
    cognitiveservices_account_local_auth_disabled,
    cognitiveservices_account_keys_not_exposed,
    cognitiveservices_account_managed_identity_enabled,
    cognitiveservices_account_defender_for_ai_enabled,
    cognitiveservices_account_customer_managed_key,
    cognitiveservices_deployment_content_filter_enforced,
    cognitiveservices_deployment_model_approved,
    machinelearning_workspace_public_network_access_disabled,
    machinelearning_workspace_managed_network_isolated,
    machinelearning_workspace_datastores_identity_auth,
    search_service_public_network_access_disabled,
    search_service_local_auth_disabled,
    storage_account_public_network_access_disabled,
    storage_account_blob_public_access_disabled,
    storage_account_shared_key_disabled,
    app_sessionpool_egress_disabled,
    app_sessionpool_lifetime_bounded,
    app_sessionpool_container_resources_limited,
    app_sessionpool_registry_identity,
    apimanagement_backend_managed_identity,
    apimanagement_namedvalue_no_account_key,
    apimanagement_service_identity_least_privilege,
    monitor_ai_resource_diagnostic_logs_enabled,
    security_pricing_ai_defender_enabled,
)


# Judged on role assignments and definitions by the event path and the access review, not by the scan.
ACCESS_RULES: tuple[ModuleType, ...] = (
    authorization_roleassignment_privileged_not_standing,
    authorization_roleassignment_within_persona,
    authorization_roleassignment_used_recently,
    authorization_roleassignment_not_orphaned,
    authorization_roledefinition_least_privilege,
)

# Judged on what canary probes saw a deployment's content filter do (driftguard/probing.py), not on its
# configuration: never by the scan or the event path.
PROBE_RULES: tuple[ModuleType, ...] = (cognitiveservices_deployment_canary_probe_blocked,)


def metas() -> list[RuleMeta]:
    """Every rule of the catalog, resource rules first."""
    return [m.META for m in (*RESOURCE_RULES, *ACCESS_RULES, *PROBE_RULES)]


def access_registry() -> dict[str, tuple[RuleMeta, Evaluate]]:
    return {m.META.id: (m.META, m.evaluate) for m in ACCESS_RULES}


@dataclass(frozen=True)
class AccessVerdict:
    meta: RuleMeta
    findings: list[Finding]
    missing: tuple[str, ...] = ()  # related data the rule needs and the caller did not have
    not_evaluable: str | None = None  # why the rule could not judge with what it had

    @property
    def judged(self) -> bool:
        return not self.missing and self.not_evaluable is None


def judge_access(snapshot: ResourceSnapshot, context: RuleContext) -> Iterator[AccessVerdict]:
    """Every access rule's verdict on one role assignment: the event path and the access review
    judge alike, with whatever related data each of them has."""
    for meta, evaluate in access_registry().values():
        if not meta.applies_to(snapshot.type):
            continue
        missing = tuple(k for k in meta.requires if k not in snapshot.related)
        if missing:
            yield AccessVerdict(meta, [], missing=missing)
            continue
        try:
            yield AccessVerdict(meta, evaluate(snapshot, context))
        except NotEvaluable as e:
            yield AccessVerdict(meta, [], not_evaluable=e.reason)


def registry() -> dict[str, tuple[RuleMeta, Evaluate]]:
    return {m.META.id: (m.META, m.evaluate) for m in RESOURCE_RULES}


def rule_types() -> frozenset[str]:
    """Every resource type some rule judges, lower case."""
    return frozenset(t.lower() for m in RESOURCE_RULES for t in m.META.resource_types)
