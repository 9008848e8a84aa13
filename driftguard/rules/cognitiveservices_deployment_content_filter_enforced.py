"""Model deployments keep Prompt Shields and the harm filters on, at the policy's strength.

A deployment names its RAI policy; the policy's content filters decide. Built-in policies are known
by name; custom ones are joined from the inventory through the context.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from driftguard.ids import fold
from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RaiFilterIndex, RuleContext, RuleMeta, is_true, parent_id, prop

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


def _norm(name: Any) -> str:
    return str(name or "").strip().lower().replace("_", " ").replace(" ", "")


def index_filters(filters: Any) -> RaiFilterIndex:
    """A RAI policy's content filters reduced to what this rule reads: (name, source, enabled and
    blocking, level) per filter. Hashable, so equal policies share one verdict and one object."""
    if not isinstance(filters, Sequence):
        return ()
    try:
        content = orjson.dumps(filters)
    except TypeError:  # not JSON data (a hand-built mapping): index it directly
        return tuple(_index_one(f) for f in filters if isinstance(f, Mapping))
    return _index_content(content)


@functools.lru_cache(maxsize=1024)
def _index_content(content: bytes) -> RaiFilterIndex:
    # Estates deploy one template's policy to every account: serialising (~2 µs) finds the index
    # already built far more often than building it (~15 µs) is needed. Pure, so safe to cache.
    filters = orjson.loads(content)
    return tuple(_index_one(f) for f in filters if isinstance(f, Mapping))


_FIELDS = ("name", "source", "enabled", "blocking", "severityThreshold")


def _index_one(f: Mapping[str, Any]) -> tuple[str, str, bool, str]:
    # Exact keys first (plain dict lookups), `prop`'s case-insensitive walk only for what is missing:
    # a large estate has tens of thousands of policies of a dozen filters each.
    name, source, enabled, blocking, level = (f.get(k) if k in f else prop(f, k) for k in _FIELDS)
    return (_norm(name), str(source or "").lower(), is_true(enabled) and is_true(blocking), str(level or "").lower())


def index_policy(policy: Mapping[str, Any]) -> RaiFilterIndex:
    """The index of a RAI policy resource as ARM returns it."""
    return index_filters(prop(policy, "properties", "contentFilters"))


# Microsoft's built-in policies. Microsoft.DefaultV2 adds Prompt Shields for jailbreak; neither
# blocks indirect attacks, which need a custom policy.
_DEFAULT_HARM = [
    {"name": n, "enabled": True, "blocking": True, "severityThreshold": "Medium", "source": s}
    for n in ("Hate", "Sexual", "Violence", "Selfharm")
    for s in ("Prompt", "Completion")
]
BUILT_IN: dict[str, RaiFilterIndex] = {
    "microsoft.default": index_filters(_DEFAULT_HARM),
    "microsoft.defaultv2": index_filters([*_DEFAULT_HARM, {"name": "Jailbreak", "enabled": True, "blocking": True, "source": "Prompt"}]),
}


def filter_problems(index: RaiFilterIndex, threshold: str) -> tuple[str, ...]:
    """What is weaker than required in a policy's filters (empty: all good)."""
    limit = STRENGTH[threshold.lower()]
    problems: list[str] = []
    for shield in SHIELDS:
        name = shield.replace(" ", "")
        if not any(on for n, _, on, _ in index if n == name):
            problems.append(f"{shield.title()} (Prompt Shields) is not enabled and blocking")
    for harm in HARM:
        for source in ("prompt", "completion"):
            entries = [(on, level) for n, src, on, level in index if n == harm and src == source]
            if not entries:
                problems.append(f"{harm.title()} filter on {source}s is missing")
            for on, level in entries:
                if not on:
                    problems.append(f"{harm.title()} filter on {source}s is not enabled and blocking")
                elif STRENGTH.get(level, 99) > limit:
                    problems.append(f"{harm.title()} filter on {source}s blocks only at {level or 'unknown'}, weaker than {threshold}")
    return tuple(problems)


def cached_problems(index: RaiFilterIndex, threshold: str, memo: dict[Any, Any]) -> list[str]:
    """`filter_problems` once per distinct policy content in a scan: estates deploy one template's
    policy to hundreds of accounts, and an account's deployments share its policy."""
    key = (META.id, index, threshold)
    found: tuple[str, ...] | None = memo.get(key)
    if found is None:
        found = memo[key] = filter_problems(index, threshold)
    return list(found)


def _policy_index(context: RuleContext, account_id: str, name: str) -> RaiFilterIndex | None:
    key = fold(name)
    if key in BUILT_IN:
        return BUILT_IN[key]
    return context.rai_policies.get(fold(account_id), {}).get(key)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    cf = context.policy.content_filters
    trusted = {fold(t) for t in cf.trusted_policies}
    if snapshot.type.lower().endswith("/raipolicies"):
        name = fold(snapshot.id.rsplit("/", 1)[-1])
        if name in trusted or fold(str(prop(snapshot.properties, "type") or "")) == "systemmanaged":
            # Microsoft's built-in policies cannot be changed: the deployments using them carry the finding.
            return []
        # The engine indexed this policy for the join already; index it here only when judged alone.
        index = context.rai_policies.get(fold(parent_id(snapshot.id)), {}).get(name)
        weak = cached_problems(index if index is not None else index_policy(snapshot.resource), cf.harm_threshold, context.memo)
        if not weak:
            return []
        return [context.finding(META, snapshot, "RAI policy is weaker than required: " + "; ".join(weak), {"problems": weak})]

    account_id = parent_id(snapshot.id)
    name = str(prop(snapshot.properties, "raiPolicyName") or "Microsoft.Default")
    evidence: dict[str, Any] = {"raiPolicyName": name}
    baseline = context.baselines.get(fold(snapshot.id))
    base_name = prop(baseline, "properties", "raiPolicyName") if baseline else None
    if isinstance(base_name, str) and fold(base_name) != fold(name):
        evidence["baseline.raiPolicyName"] = base_name
        return [context.finding(META, snapshot, f"deployment moved from RAI policy {base_name!r} to {name!r}", evidence)]
    if fold(name) in trusted:
        return []
    index = _policy_index(context, account_id, name)
    if index is None:
        if not context.rai_policies_loaded:
            raise NotEvaluable("custom RAI policies were not part of the inventory")
        return [context.finding(META, snapshot, f"deployment uses RAI policy {name!r}, which does not exist on the account", evidence)]
    problems = cached_problems(index, cf.harm_threshold, context.memo)
    if not problems:
        return []
    evidence["problems"] = problems
    return [context.finding(META, snapshot, f"deployment's RAI policy {name!r} is weaker than required: " + "; ".join(problems), evidence)]
