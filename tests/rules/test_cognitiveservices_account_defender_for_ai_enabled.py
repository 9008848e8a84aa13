from driftguard.rules import cognitiveservices_account_defender_for_ai_enabled as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value, without

ACCOUNT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"


def test_enabled_passes() -> None:
    assert run(rule, corpus_body("rest-examples", "cognitiveservices", "2025-06-01", "GetDefenderForAISetting.json")) == []


def test_disabled_fails() -> None:
    [f] = run(rule, b.defender_setting(ACCOUNT, enabled=False))
    assert f.evidence == {"state": "Disabled"}


def test_casing() -> None:
    assert len(run(rule, with_value(b.defender_setting(ACCOUNT), "disabled", "properties", "state"))) == 1


def test_absent_state_is_not_judged_disabled() -> None:
    assert run(rule, without(b.defender_setting(ACCOUNT), "properties", "state")) == []


def test_applies_only_to_the_setting() -> None:
    assert rule.META.applies_to("microsoft.cognitiveservices/accounts/defenderforaisettings")
    assert not rule.META.applies_to("Microsoft.CognitiveServices/accounts")
