"""Private endpoints into an AI resource must come from tenants and subscriptions the policy allows."""

from __future__ import annotations

from collections.abc import Mapping

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, prop_list, same

META = RuleMeta(
    id="cognitiveservices_account_private_endpoint_approved_only",
    title="Private endpoint connections come only from approved subscriptions and tenants",
    severity=Severity.HIGH,
    resource_types=(
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.Search/searchServices",
        "Microsoft.MachineLearningServices/workspaces",
    ),
    seed_section="Deny inbound internet access; secure external access",
    default_mode=Mode.APPROVE,
    remediation="private_endpoint_connection_reject",
    references=(
        Reference("azure-policy", "d6759c02-b87f-42b7-892e-71b3f471d782", "Azure AI Services resources should use Azure Private Link"),
        Reference("mitre-atlas", "AML.T0012", "Valid Accounts"),
    ),
)


def _subscription_of(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    return parts[1].lower() if len(parts) > 1 and parts[0].lower() == "subscriptions" else ""


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    net = context.policy.network
    allowed_subs = {s.lower() for s in net.private_endpoint_subscriptions} or {_subscription_of(snapshot.id)}
    allowed_tenants = {t.lower() for t in net.private_endpoint_tenants}
    findings: list[Finding] = []
    for conn in prop_list(snapshot.properties, "privateEndpointConnections"):
        if not isinstance(conn, Mapping):
            continue
        state = prop(conn, "properties", "privateLinkServiceConnectionState", "status")
        if same(state, "Rejected") or same(state, "Disconnected"):
            continue
        endpoint_id = str(prop(conn, "properties", "privateEndpoint", "id") or "")
        sub = _subscription_of(endpoint_id)
        # A cross-tenant endpoint shows up as an id we cannot place; the tenant, when ARM gives it,
        # is on the connection's properties.
        tenant = str(prop(conn, "properties", "privateEndpoint", "tenantId") or "").lower()
        reasons = []
        if sub not in allowed_subs:
            reasons.append(f"its endpoint is in subscription {sub or '(unknown)'!r}, which is not allowed")
        if allowed_tenants and tenant and tenant not in allowed_tenants:
            reasons.append(f"its endpoint is in tenant {tenant!r}, which is not allowed")
        if reasons:
            findings.append(
                context.finding(
                    META,
                    snapshot,
                    f"private endpoint connection {prop(conn, 'name')!r}: " + "; ".join(reasons),
                    {"connection": str(prop(conn, "id") or prop(conn, "name")), "privateEndpoint": endpoint_id, "status": state},
                )
            )
    return findings
