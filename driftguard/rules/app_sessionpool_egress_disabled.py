"""Code-execution sandboxes cannot reach the internet: a dynamic-sessions pool keeps egress disabled
unless the policy names it in `sandboxes.egress_allowed_pools`."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="app_sessionpool_egress_disabled",
    title="Code-execution session pools have outbound network access disabled",
    severity=Severity.HIGH,
    resource_types=("Microsoft.App/sessionPools",),
    seed_section="Limit outbound traffic; sandbox agent code execution",
    default_mode=Mode.REVERT,
    remediation="app_sessionpool_disable_egress",
    references=(
        Reference("mcsb", "NS-1", "Establish network segmentation boundaries"),
        Reference("mitre-atlas", "AML.T0025", "Exfiltration via Cyber Means"),
        Reference("owasp-llm", "LLM06", "Excessive Agency"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    status = prop(snapshot.properties, "sessionNetworkConfiguration", "status")
    # Absent: the service's documented default for a session pool is EgressDisabled.
    if status is None or same(status, "EgressDisabled"):
        return []
    if context.policy.sandboxes.egress_allowed(snapshot.id):
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"sessions can reach the internet (egress {status}) and the pool is not in the policy's egress_allowed_pools",
            {"sessionNetworkConfiguration.status": status},
        )
    ]
