"""The subscription's Defender for AI plan is on (Standard tier)."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="security_pricing_ai_defender_enabled",
    title="Microsoft Defender for AI services is enabled on the subscription",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.Security/pricings",),
    seed_section="Threat protection",
    default_mode=Mode.TICKET,
    remediation="security_pricing_enable_ai",
    references=(
        Reference("azure-policy", "c2c0c6d8-007b-4a48-8d9b-3539bddd8e87", "Microsoft Defender for AI Services should be enabled"),
        Reference("azure-policy", "7e92882a-2f8a-4991-9bc4-d3147d40abb0", "Enable threat protection for AI workloads"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if str(snapshot.resource.get("name", "")).lower() != "ai":
        return []  # other Defender plans are out of scope
    tier = prop(snapshot.properties, "pricingTier")
    if same(tier, "Standard"):
        return []
    return [context.finding(META, snapshot, f"Defender for AI plan is {tier or 'not set'}", {"pricingTier": tier})]
