"""Model deployments keep Prompt Shields and the harm filters on, at the policy's strength.

A deployment names its RAI policy; the policy's content filters decide. Built-in policies are known
by name; custom ones are joined from the inventory through the context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, is_true, parent_id, prop, same

META = RuleMeta(
    id="cognitiveservices_deployment_content_filter_enforced",
    title="Deployments enforce Prompt Shields and harm filters",
    severity=Severity.HIGH,
    resource_types=(
        "Microsoft.CognitiveServices/accounts/deployments",
        "Microsoft.CognitiveServices/accounts/raiPolicies",
    ),
    seed_section="Monitor outputs and apply prompt shielding",
    default_mode=Mode.REVERT,
    remediation="cognitiveservices_rai_policy_restore",
    references=(
        Reference(
            "azure-policy",
            "f3a9c2e0-7b4d-4d8f-9c3a-2e1f6b9a8d4e",
            "Cognitive Services Deployments should only use allowed prompt content filtering",
        ),
        Reference(
            "azure-policy",
            "af253d37-136a-42f8-a1fc-30010c083d41",
            "Cognitive Services Deployments should only use allowed completion content filtering",
        ),
        Reference("owasp-llm", "LLM01", "Prompt Injection"),
        Reference("mitre-atlas", "AML.T0054", "LLM Jailbreak"),
    ),
)

HARM = ("hate", "sexual", "violence", "selfharm")
SHIELDS = ("jailbreak", "indirect attack")
# Lower is stricter: "Low" blocks low, medium and high severity content.
STRENGTH = {"low": 0, "medium": 1, "high": 2}

# Microsoft's built-in policies. Microsoft.DefaultV2 adds Prompt Shields for jailbreak; neither
# blocks indirect attacks, which need a custom policy.
_DEFAULT_HARM = [
    {"name": n, "enabled": True, "blocking": True, "severityThreshold": "Medium", "source": s}
    for n in ("Hate", "Sexual", "Violence", "Selfharm")
    for s in ("Prompt", "Completion")
]
BUILT_IN: dict[str, list[dict[str, Any]]] = {
    "microsoft.default": _DEFAULT_HARM,
    "microsoft.defaultv2": [*_DEFAULT_HARM, {"name": "Jailbreak", "enabled": True, "blocking": True, "source": "Prompt"}],
}


def _norm(name: Any) -> str:
    return str(name or "").strip().lower().replace("_", " ")


def filter_problems(filters: Sequence[Mapping[str, Any]], threshold: str) -> list[str]:
    """What is weaker than required in a list of RAI content filters (empty: all good)."""
    limit = STRENGTH[threshold.lower()]
    problems: list[str] = []
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for f in filters:
        by_name.setdefault(_norm(prop(f, "name")).replace(" ", ""), []).append(f)
    for shield in SHIELDS:
        entries = by_name.get(shield.replace(" ", ""), [])
        if not any(is_true(prop(f, "enabled")) and is_true(prop(f, "blocking")) for f in entries):
            problems.append(f"{shield.title()} (Prompt Shields) is not enabled and blocking")
    for harm in HARM:
        for source in ("Prompt", "Completion"):
            entries = [f for f in by_name.get(harm, []) if same(prop(f, "source"), source)]
            if not entries:
                problems.append(f"{harm.title()} filter on {source.lower()}s is missing")
                continue
            for f in entries:
                level = str(prop(f, "severityThreshold") or "").lower()
                if not (is_true(prop(f, "enabled")) and is_true(prop(f, "blocking"))):
                    problems.append(f"{harm.title()} filter on {source.lower()}s is not enabled and blocking")
                elif STRENGTH.get(level, 99) > limit:
                    problems.append(
                        f"{harm.title()} filter on {source.lower()}s blocks only at {level or 'unknown'}, weaker than {threshold}"
                    )
    return problems


def _policy_filters(snapshot: ResourceSnapshot, context: RuleContext, account_id: str, name: str) -> list[Mapping[str, Any]] | None:
    if name.lower() in BUILT_IN:
        return list(BUILT_IN[name.lower()])
    policy = context.rai_policies.get(account_id.lower(), {}).get(name.lower())
    if policy is None:
        return None
    return list(prop(policy, "properties", "contentFilters") or [])


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    cf = context.policy.content_filters
    trusted = {t.lower() for t in cf.trusted_policies}
    if snapshot.type.lower().endswith("/raipolicies"):
        if snapshot.id.rsplit("/", 1)[-1].lower() in trusted:
            return []
        weak = filter_problems(list(prop(snapshot.properties, "contentFilters") or []), cf.harm_threshold)
        if not weak:
            return []
        return [context.finding(META, snapshot, "RAI policy is weaker than required: " + "; ".join(weak), {"problems": weak})]

    account_id = parent_id(snapshot.id)
    name = str(prop(snapshot.properties, "raiPolicyName") or "Microsoft.Default")
    evidence: dict[str, Any] = {"raiPolicyName": name}
    baseline = context.baselines.get(snapshot.id.lower())
    base_name = prop(baseline, "properties", "raiPolicyName") if baseline else None
    if isinstance(base_name, str) and base_name.lower() != name.lower():
        evidence["baseline.raiPolicyName"] = base_name
        return [context.finding(META, snapshot, f"deployment moved from RAI policy {base_name!r} to {name!r}", evidence)]
    if name.lower() in trusted:
        return []
    key = (META.id, account_id.lower() if name.lower() not in BUILT_IN else "", name.lower())
    problems = context.memo.get(key)
    if problems is None:
        filters = _policy_filters(snapshot, context, account_id, name)
        if filters is None:
            if not context.rai_policies_loaded:
                raise NotEvaluable("custom RAI policies were not part of the inventory")
            return [context.finding(META, snapshot, f"deployment uses RAI policy {name!r}, which does not exist on the account", evidence)]
        problems = context.memo[key] = filter_problems(filters, cf.harm_threshold)
    if not problems:
        return []
    evidence["problems"] = problems
    return [context.finding(META, snapshot, f"deployment's RAI policy {name!r} is weaker than required: " + "; ".join(problems), evidence)]
