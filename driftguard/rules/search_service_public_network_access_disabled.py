"""AI Search services are not open to the internet."""

from __future__ import annotations

from collections.abc import Mapping

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, ip_rule_problem, prop, prop_list, same

META = RuleMeta(
    id="search_service_public_network_access_disabled",
    title="AI Search services deny public network access",
    severity=Severity.HIGH,
    resource_types=("Microsoft.Search/searchServices",),
    seed_section="Deny inbound internet access",
    default_mode=Mode.REVERT,
    remediation="search_service_disable_public_network_access",
    references=(
        Reference("azure-policy", "ee980b6d-0eca-4501-8d54-f6290fd512c3", "Azure AI Search services should disable public network access"),
        Reference(
            "azure-policy", "9cee519f-d9c1-4fd9-9f79-24ec3449ed30", "Configure Azure AI Search services to disable public network access"
        ),
        Reference("azure-policy", "037eea7a-bd0a-46c5-9a66-03aea78705d3", "Azure AI Services resources should restrict network access"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    pna = prop(props, "publicNetworkAccess")
    if same(pna, "Disabled"):
        return []
    net = context.policy.network
    rules = [r for r in prop_list(props, "networkRuleSet", "ipRules") if isinstance(r, Mapping)]
    problems = [
        p for r in rules if (p := ip_rule_problem(str(prop(r, "value")), max_prefix=net.max_ip_prefix, approved=net.approved_ip_ranges))
    ]
    if rules and not problems:
        return []  # public, but only to a narrow, approved set of addresses
    reason = (
        "public network access is enabled with no IP rules"
        if not rules
        else "public network access is enabled and IP rules are too wide: " + "; ".join(problems)
    )
    # The free tier cannot use private link, so disabling public access there needs people.
    free = same(prop(snapshot.resource, "sku", "name"), "free")
    return [
        context.finding(
            META,
            snapshot,
            reason + (" (free SKU: private link is unavailable, needs a plan change)" if free else ""),
            {"publicNetworkAccess": pna, "ipRules": [dict(r) for r in rules], "sku": prop(snapshot.resource, "sku", "name")},
            fixable=not free,
            default_mode=Mode.TICKET if free else None,
        )
    ]
