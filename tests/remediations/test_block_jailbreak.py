"""Turning a RAI policy's jailbreak filter to blocking: only that filter changes, a policy without one
gets one, Microsoft's own policies are left to a person, and the undo puts the filters back."""

from __future__ import annotations

import pytest

from driftguard.policy import Policy
from remediations.base import CannotPlan, PlanContext
from remediations.cognitiveservices_rai_policy_block_jailbreak import FILTERS, REMEDIATION
from simulator import builders as b

ACCOUNT = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
CONTEXT = PlanContext(policy=Policy())


def test_only_the_jailbreak_filter_changes() -> None:
    policy = b.rai_policy(ACCOUNT, "relaxed", jailbreak=False, indirect=False)
    plan = REMEDIATION.plan(policy, CONTEXT)
    assert plan is not None
    before, after = plan.before[FILTERS], plan.after[FILTERS]
    changed = [(x, y) for x, y in zip(before, after, strict=True) if x != y]
    assert changed == [
        (
            {"name": "Jailbreak", "blocking": False, "source": "Prompt", "enabled": False},
            {"name": "Jailbreak", "blocking": True, "source": "Prompt", "enabled": True},
        )
    ]
    assert plan.steps[0].body is not None
    assert "type" not in plan.steps[0].body["properties"]  # read-only: never sent back
    assert REMEDIATION.plan(b.rai_policy(ACCOUNT, "strict"), CONTEXT) is None


def test_a_policy_without_a_jailbreak_filter_gets_one() -> None:
    policy = b.rai_policy(ACCOUNT, "bare")
    policy["properties"]["contentFilters"] = [f for f in policy["properties"]["contentFilters"] if f["name"] != "Jailbreak"]
    plan = REMEDIATION.plan(policy, CONTEXT)
    assert plan is not None
    assert plan.after[FILTERS][-1] == {"name": "Jailbreak", "source": "Prompt", "enabled": True, "blocking": True}


def test_microsoft_s_own_policy_is_for_a_person() -> None:
    policy = b.rai_policy(ACCOUNT, "Microsoft.DefaultV2", jailbreak=False)
    policy["properties"]["type"] = "SystemManaged"
    with pytest.raises(CannotPlan, match=r"the built-in policy Microsoft\.DefaultV2, which cannot be changed: create a custom policy"):
        REMEDIATION.plan(policy, CONTEXT)


def test_the_undo_puts_the_filters_back_and_then_has_nothing_to_do() -> None:
    policy = b.rai_policy(ACCOUNT, "relaxed", jailbreak=False)
    plan = REMEDIATION.plan(policy, CONTEXT)
    assert plan is not None
    fixed = {**policy, "properties": {**policy["properties"], "contentFilters": plan.after[FILTERS]}}
    back = REMEDIATION.undo(plan, fixed)
    assert back is not None
    assert back.after[FILTERS] == policy["properties"]["contentFilters"]
    assert REMEDIATION.undo(plan, policy) is None
    with pytest.raises(CannotPlan, match="gone"):
        REMEDIATION.undo(plan, None)
