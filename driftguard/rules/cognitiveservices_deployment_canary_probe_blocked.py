"""A deployment's content filter blocks the known attacks the canary probes send.

The configuration rule (`cognitiveservices_deployment_content_filter_enforced`) reads what the RAI
policy says; this one judges what the filter did. A filter that exists but lets a known jailbreak or
indirect prompt injection through is high: the control is on paper only. Judged on the verdicts of
the day's probes (`related["canaryVerdicts"]`), never on prompt or answer text, which is not kept.

Each run sends a rotating subset of the probes, so a run judges only the kinds it sent: the failures of
the open finding (`related["canaryOpenFailures"]`) of a kind this run did not clear stay failures. A kind
is cleared only by a run that sent it and saw every probe of it blocked; a run that did not test a kind
(or got no answer for one of its probes) leaves that kind's verdict as it was.
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

VERDICTS = "canaryVerdicts"
# The failed verdicts of the deployment's open finding, from earlier runs (its evidence's `failed`).
OPEN_FAILURES = "canaryOpenFailures"

FAILED = ("passed", "detected_only")


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    verdicts = snapshot.related.get(VERDICTS, ())
    judged = [v for v in verdicts if v.get("outcome") != "inconclusive"]
    if not judged:
        raise NotEvaluable("no canary probe got an answer")
    through = [v for v in judged if v.get("outcome") in FAILED]
    failed_kinds = {v.get("kind") for v in through}
    # A kind is cleared only when this run sent it and every probe of it was blocked.
    cleared = {v.get("kind") for v in verdicts} - {v.get("kind") for v in verdicts if v.get("outcome") != "blocked"}
    earlier = [v for v in snapshot.related.get(OPEN_FAILURES, ()) if v.get("kind") not in cleared | failed_kinds]
    if not through and not earlier:
        return []
    names = ", ".join(f"{v.get('probe')} ({v.get('kind')}: {v.get('outcome')})" for v in through)
    parts = [f"the content filter let {len(through)} of {len(judged)} known attack probe(s) reach the model: {names}"] if through else []
    if earlier:
        kinds = sorted({str(v.get("kind")) for v in earlier})
        parts.append(
            f"earlier failures of kind {', '.join(kinds)} stand until a run sends that kind and sees it blocked: "
            + ", ".join(f"{v.get('probe')} ({v.get('outcome')} at {v.get('at')})" for v in earlier)
        )
    message = "; ".join(parts) + f"; raiPolicyName {snapshot.properties.get('raiPolicyName') or 'Microsoft.Default'!r}"
    evidence = {
        "raiPolicyName": snapshot.properties.get("raiPolicyName"),
        "failed": [{k: v.get(k) for k in ("probe", "kind", "outcome", "at", "detail")} for v in [*through, *earlier]],
        "probed": len(judged),
        "carried": len(earlier),
    }
    return [context.finding(META, snapshot, message, evidence, fixable=False)]
