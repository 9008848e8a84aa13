import pytest

from driftguard.policy import ContentFilterPolicy, Policy
from driftguard.rules import cognitiveservices_deployment_content_filter_enforced as rule
from driftguard.rules.base import NotEvaluable
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run

ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"


def rai(**kw: object) -> dict:
    return {ACCOUNT.lower(): {"strict": rule.index_policy(b.rai_policy(ACCOUNT, "strict", **kw))}}  # type: ignore[arg-type]


def test_deployment_on_strict_custom_policy_passes() -> None:
    assert run(rule, b.deployment(ACCOUNT, "gpt", rai_policy="strict"), rai_policies=rai(), rai_policies_loaded=True) == []


def test_jailbreak_off_fails() -> None:
    [f] = run(rule, b.deployment(ACCOUNT, "gpt", rai_policy="strict"), rai_policies=rai(jailbreak=False), rai_policies_loaded=True)
    assert "Jailbreak" in f.message


def test_harm_threshold_weaker_than_policy_fails_and_is_configurable() -> None:
    weak = rai(harm_threshold="High")
    assert len(run(rule, b.deployment(ACCOUNT, "gpt", rai_policy="strict"), rai_policies=weak, rai_policies_loaded=True)) == 1
    lenient = Policy(content_filters=ContentFilterPolicy(harm_threshold="High"))
    assert run(rule, b.deployment(ACCOUNT, "gpt", rai_policy="strict"), rai_policies=weak, rai_policies_loaded=True, policy=lenient) == []


def test_absent_rai_policy_name_means_microsoft_default_without_prompt_shields() -> None:
    [f] = run(rule, b.deployment(ACCOUNT, "gpt", rai_policy=None))
    assert f.evidence["raiPolicyName"] == "Microsoft.Default"


def test_other_casing_of_builtin_and_filter_names() -> None:
    [f] = run(rule, b.deployment(ACCOUNT, "gpt", rai_policy="microsoft.defaultv2"))
    assert "Indirect Attack" in f.message
    assert "Jailbreak" not in f.message


def test_corpus_rai_policy_lacks_indirect_attack_and_hate_prompt_filter() -> None:
    policy = corpus_body("rest-examples", "cognitiveservices", "2025-09-01", "GetRaiPolicy.json")
    policy["type"] = "Microsoft.CognitiveServices/accounts/raiPolicies"  # the example omits it
    [f] = run(rule, policy)
    assert "Indirect Attack" in f.message
    assert "Hate filter on prompts is not enabled" in f.message


def test_missing_custom_policy() -> None:
    d = b.deployment(ACCOUNT, "gpt", rai_policy="gone")
    with pytest.raises(NotEvaluable):
        run(rule, d)
    [f] = run(rule, d, rai_policies_loaded=True)
    assert "does not exist" in f.message


def test_moved_away_from_baseline() -> None:
    d = b.deployment(ACCOUNT, "gpt", rai_policy="Microsoft.DefaultV2")
    baseline = b.deployment(ACCOUNT, "gpt", rai_policy="strict")
    [f] = run(rule, d, baselines={d["id"].lower(): baseline}, rai_policies=rai(), rai_policies_loaded=True)
    assert f.evidence["baseline.raiPolicyName"] == "strict"


def test_not_applicable() -> None:
    assert not rule.META.applies_to("Microsoft.CognitiveServices/accounts")


def test_microsofts_built_in_policies_are_judged_through_their_deployments_only() -> None:
    """A SystemManaged policy cannot be changed: listed beside the custom ones, it is no finding itself."""
    built_in = b.built_in_rai_policy(ACCOUNT, "Microsoft.Default")
    assert run(rule, built_in) == []
    assert run(rule, {**built_in, "properties": {**built_in["properties"], "type": "UserManaged"}}) != []
