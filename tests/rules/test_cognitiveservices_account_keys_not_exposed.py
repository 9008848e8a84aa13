from driftguard.ids import fold
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


def test_recorded_without_a_fix_when_local_auth_is_already_disabled() -> None:
    """Azure refuses key operations with local auth off, and the keys open nothing meanwhile."""
    [f] = run(rule, b.cognitive_account("s", "rg", "oai"), related={rule.KEY_EVENTS: [EVENT]})
    assert f.mode is Mode.REPORT
    assert f.remediation is None
    assert "unusable" in f.message


def event(operation: str) -> dict[str, str]:
    return {**EVENT, "operationName": operation}


def test_each_type_names_its_own_rotation() -> None:
    search = b.search_service("s", "rg", "srch", local_auth=True)
    [f] = run(rule, search, related={rule.KEY_EVENTS: [event("Microsoft.Search/searchServices/listAdminKeys/action")]})
    assert f.remediation == "search_service_regenerate_admin_keys"
    storage = b.storage_account("s", "rg", "st", shared_key=True, tags={"driftguard-ai-data": "true"})
    [f] = run(rule, storage, related={rule.KEY_EVENTS: [event("Microsoft.Storage/storageAccounts/listKeys/action")]})
    assert f.remediation == "storage_account_regenerate_keys"
    [f] = run(rule, b.cognitive_account("s", "rg", "oai", local_auth=True), related={rule.KEY_EVENTS: [EVENT]})
    assert f.remediation == "cognitiveservices_account_regenerate_keys"


def test_storage_without_shared_key_access_is_recorded() -> None:
    storage = b.storage_account("s", "rg", "st", shared_key=False, tags={"driftguard-ai-data": "true"})
    [f] = run(rule, storage, related={rule.KEY_EVENTS: [event("Microsoft.Storage/storageAccounts/listKeys/action")]})
    assert (f.mode, f.remediation) == (Mode.REPORT, None)


STORAGE_LISTING = event("Microsoft.Storage/storageAccounts/listKeys/action")


def test_a_listing_on_storage_that_holds_no_ai_data_is_not_applicable() -> None:
    """Neither linked to an AI resource nor tagged: its keys are not DriftGuard's concern."""
    storage = b.storage_account("s", "rg", "st", shared_key=True, tags={"owner": "web"})
    assert run(rule, storage, related={rule.KEY_EVENTS: [STORAGE_LISTING]}) == []
    # The tag set to false says the same.
    untagged = b.storage_account("s", "rg", "st", shared_key=True, tags={"driftguard-ai-data": "false"})
    assert run(rule, untagged, related={rule.KEY_EVENTS: [STORAGE_LISTING]}) == []


def test_a_listing_on_storage_an_ai_resource_uses_is_an_exposure() -> None:
    storage = b.storage_account("s", "rg", "st", shared_key=True)
    linked = frozenset({fold(storage["id"])})
    [f] = run(rule, storage, related={rule.KEY_EVENTS: [STORAGE_LISTING]}, ai_linked_storage=linked)
    assert f.remediation == "storage_account_regenerate_keys"


def test_a_listing_on_storage_carrying_the_policys_ai_data_tag_is_an_exposure() -> None:
    from driftguard.policy import DataPolicy

    storage = b.storage_account("s", "rg", "st", shared_key=True, tags={"holds-ai": "yes"})
    [f] = run(rule, storage, related={rule.KEY_EVENTS: [STORAGE_LISTING]}, policy=Policy(data=DataPolicy(ai_data_tag="holds-ai")))
    assert f.remediation == "storage_account_regenerate_keys"


def test_workspace_keys_are_for_people_and_the_finding_says_what_to_do() -> None:
    workspace = b.workspace("s", "rg", "ws")
    [f] = run(rule, workspace, related={rule.KEY_EVENTS: [event("Microsoft.MachineLearningServices/workspaces/listKeys/action")]})
    assert f.remediation is None
    assert f.mode is Mode.APPROVE  # a case: people rotate the linked resources' keys
    for step in ("storage account", "container registry", "Application Insights", "resyncKeys"):
        assert step in f.message


def test_search_query_keys_are_replaced_by_people() -> None:
    search = b.search_service("s", "rg", "srch", local_auth=True)
    [f] = run(rule, search, related={rule.KEY_EVENTS: [event("Microsoft.Search/searchServices/listQueryKeys/action")]})
    assert f.remediation is None
    assert "createQueryKey" in f.message


def test_key_event_recognition_and_requires() -> None:
    assert rule.is_key_event({"operationName": "MICROSOFT.SEARCH/SEARCHSERVICES/LISTADMINKEYS/ACTION"})
    assert not rule.is_key_event({"operationName": "Microsoft.CognitiveServices/accounts/write"})
    assert rule.META.requires == (rule.KEY_EVENTS,)
