from driftguard.model import Mode
from driftguard.policy import KeyPolicy, Policy
from driftguard.rules import cognitiveservices_account_keys_not_exposed as rule
from simulator import builders as b
from tests.rules.helpers import run

EVENT = {
    "operationName": "Microsoft.CognitiveServices/accounts/listKeys/action",
    "objectId": "A1B2",
    "appId": "",
    "correlationId": "c-1",
    "time": "2026-11-29T10:00:00Z",
}


def test_no_key_events_no_finding() -> None:
    assert run(rule, b.cognitive_account("s", "rg", "oai", local_auth=True), related={rule.KEY_EVENTS: []}) == []


def test_listkeys_by_unlisted_principal_fails_for_approval() -> None:
    [f] = run(rule, b.cognitive_account("s", "rg", "oai", local_auth=True), related={rule.KEY_EVENTS: [EVENT]})
    assert f.mode is Mode.APPROVE
    assert f.evidence["caller"] == ["a1b2"]


def test_allowlisted_principal_passes_case_insensitively() -> None:
    policy = Policy(keys=KeyPolicy(allowed_principals=("a1b2",)))
    assert run(rule, b.cognitive_account("s", "rg", "oai"), related={rule.KEY_EVENTS: [EVENT]}, policy=policy) == []


def test_auto_when_local_auth_already_disabled() -> None:
    [f] = run(rule, b.cognitive_account("s", "rg", "oai"), related={rule.KEY_EVENTS: [EVENT]})
    assert f.mode is Mode.AUTO


def test_key_event_recognition_and_requires() -> None:
    assert rule.is_key_event({"operationName": "MICROSOFT.SEARCH/SEARCHSERVICES/LISTADMINKEYS/ACTION"})
    assert not rule.is_key_event({"operationName": "Microsoft.CognitiveServices/accounts/write"})
    assert rule.META.requires == (rule.KEY_EVENTS,)
