"""AI accounts may call out only to approved destinations (data exfiltration protection)."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, is_true, prop, prop_list

META = RuleMeta(
    id="cognitiveservices_account_outbound_restricted",
    title="Azure AI accounts restrict outbound network access to approved FQDNs",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.CognitiveServices/accounts",),
    seed_section="Limit outbound traffic",
    default_mode=Mode.REVERT,
    remediation="cognitiveservices_account_restrict_outbound",
    references=(
        Reference("mcsb", "NS-1", "Establish network segmentation boundaries"),
        Reference("mitre-atlas", "AML.T0025", "Exfiltration via Cyber Means"),
        Reference("owasp-llm", "LLM02", "Sensitive Information Disclosure"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    restricted = prop(props, "restrictOutboundNetworkAccess")
    fqdns = [str(f) for f in prop_list(props, "allowedFqdnList")]
    if not is_true(restricted):
        return [
            context.finding(
                META,
                snapshot,
                "outbound network access is not restricted",
                {"restrictOutboundNetworkAccess": restricted, "allowedFqdnList": fqdns},
            )
        ]
    approved = {f.lower().rstrip(".") for f in context.policy.network.approved_fqdns}
    extra = [f for f in fqdns if f.lower().rstrip(".") not in approved]
    if not extra:
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"outbound access allows unapproved FQDN(s): {', '.join(extra)}",
            {"restrictOutboundNetworkAccess": restricted, "unapproved": extra},
        )
    ]
