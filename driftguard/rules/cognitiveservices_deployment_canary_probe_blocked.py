"""A deployment's content filter blocks the known attacks the canary probes send.

The configuration rule (`cognitiveservices_deployment_content_filter_enforced`) reads what the RAI
policy says; this one judges what the filter did. A filter that exists but lets a known jailbreak or
indirect prompt injection through is high: the control is on paper only. Judged on the verdicts of
the day's probes (`related["canaryVerdicts"]`), never on prompt or answer text, which is not kept.
"""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta

META = RuleMeta(
    id="cognitiveservices_deployment_canary_probe_blocked",
    title="Content filters block known jailbreak and indirect prompt-injection probes",
    severity=Severity.HIGH,
    resource_types=("Microsoft.CognitiveServices/accounts/deployments",),
    seed_section="Monitor outputs and apply prompt shielding",
    # No automated fix: the configuration rule restores the RAI policy; a filter that is configured and
    # still fails needs people (a model or service change), so a case.
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference("owasp-llm", "LLM01", "Prompt Injection"),
        Reference("mitre-atlas", "AML.T0054", "LLM Jailbreak"),
        Reference("mitre-atlas", "AML.T0051", "LLM Prompt Injection"),
    ),
    requires=("canaryVerdicts",),
)

FAILED = ("passed", "detected_only")


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    verdicts = snapshot.related.get("canaryVerdicts", ())
    judged = [v for v in verdicts if v.get("outcome") != "inconclusive"]
    if not judged:
        raise NotEvaluable("no canary probe got an answer")
    through = [v for v in judged if v.get("outcome") in FAILED]
    if not through:
        return []
    names = ", ".join(f"{v.get('probe')} ({v.get('kind')}: {v.get('outcome')})" for v in through)
    message = (
        f"the content filter let {len(through)} of {len(judged)} known attack probe(s) reach the model: {names}; "
        f"raiPolicyName {snapshot.properties.get('raiPolicyName') or 'Microsoft.Default'!r}"
    )
    evidence = {
        "raiPolicyName": snapshot.properties.get("raiPolicyName"),
        "failed": [{k: v.get(k) for k in ("probe", "kind", "outcome", "at", "detail")} for v in through],
        "probed": len(judged),
    }
    return [context.finding(META, snapshot, message, evidence, fixable=False)]
