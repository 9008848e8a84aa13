"""Event normalisation against Microsoft's published payloads, and against hostile ones."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from driftguard.events import ChangeEvent, EventRejected, Kind, Operation, Schema, iter_events, parse_event
from driftguard.nesting import MAX_DEPTH
from tests.conftest import corpus_path
from tests.deep import TOO_DEEP, nested_value, refusal_names_the_limit

SUB = "5f3b2c1a-0000-4000-8000-00000000a001"
CALLER = "9a8b7c6d-1111-4222-8333-444455556666"


def corpus_files() -> list[Path]:
    root = corpus_path("events")
    return sorted(root.rglob("*.json"))


def realistic(text: str) -> str:
    """The corpus with its placeholders filled the way a real delivery fills them."""
    text = text.replace(" /resourceGroups", "/resourceGroups").replace(
        "{storageAccount-name} -secondary", "{storageAccount-name}-secondary"
    )
    values = {
        "subscription-id": SUB,
        "subcription-id": SUB,
        "ID": CALLER,
        "resource-group": "rg-ai",
        "rg-name": "rg-ai",
        "tenant-id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    }
    return re.sub(r"\{([A-Za-z\-]+)\}", lambda m: values.get(m.group(1), m.group(1).replace("-", "")), text)


def test_every_corpus_event_is_parsed_or_rejected_with_a_reason() -> None:
    outcomes: list[ChangeEvent | str] = []
    for path in corpus_files():
        for raw in iter_events(json.loads(path.read_text())):
            try:
                outcomes.append(parse_event(raw))
            except EventRejected as e:
                outcomes.append(e.reason)
    assert len(outcomes) >= 15
    reasons = [o for o in outcomes if isinstance(o, str)]
    # With their {placeholder} ids, most samples are refused, each with a one-line reason.
    assert all(r and "\n" not in r for r in reasons)
    assert all(isinstance(o, ChangeEvent) for o in outcomes if not isinstance(o, str))


EXPECTED: dict[str, dict[str, Any]] = {
    "eventgrid-schema/resource_write_success.json": {
        "operation": Operation.WRITE,
        "succeeded": True,
        "kind": Kind.RESOURCE_CHANGE,
        "schema": Schema.EVENT_GRID,
    },
    "eventgrid-schema/resource_write_failure.json": {"operation": Operation.WRITE, "succeeded": False, "kind": Kind.RESOURCE_CHANGE},
    "eventgrid-schema/resource_delete_success.json": {"operation": Operation.DELETE, "succeeded": True},
    "eventgrid-schema/resource_delete_failure.json": {"operation": Operation.DELETE, "succeeded": False},
    "eventgrid-schema/resource_action_success.json": {"operation": Operation.ACTION, "succeeded": True, "kind": Kind.KEY_ACCESS},
    "eventgrid-schema/resource_action_failure.json": {"operation": Operation.ACTION, "succeeded": False, "kind": Kind.KEY_ACCESS},
    "eventgrid-schema/docs_subscription_topic_write_success_batch.json": {"operation": Operation.WRITE, "succeeded": True},
    "cloudevents-schema/resource_write_success.json": {"operation": Operation.WRITE, "succeeded": True, "schema": Schema.CLOUD_EVENTS},
    "cloudevents-schema/resource_write_failure.json": {"operation": Operation.WRITE, "succeeded": False, "schema": Schema.CLOUD_EVENTS},
    "cloudevents-schema/resource_delete_success.json": {"operation": Operation.DELETE, "succeeded": True, "schema": Schema.CLOUD_EVENTS},
    "cloudevents-schema/resource_action_success.json": {
        "operation": Operation.ACTION,
        "kind": Kind.KEY_ACCESS,
        "schema": Schema.CLOUD_EVENTS,
    },
    # The partial resourceInfo is never taken for the resource: it is re-read.
    "resource-notifications/eventgrid_Resources_CreatedOrUpdated.json": {"operation": Operation.WRITE, "snapshot": False, "caller": None},
    "resource-notifications/cloudevents_Resources_CreatedOrUpdated.json": {
        "operation": Operation.WRITE,
        "snapshot": False,
        "schema": Schema.CLOUD_EVENTS,
    },
    "resource-notifications/eventgrid_Resources_Deleted.json": {"operation": Operation.DELETE, "snapshot": False},
    "resource-notifications/eventgrid_HealthResources_AvailabilityStatusChanged.json": {"rejected": "unsupported event type"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_event_with_real_values(name: str) -> None:
    raw_all = json.loads(realistic(corpus_path("events", *name.split("/")).read_text()))
    expected = EXPECTED[name]
    for raw in iter_events(raw_all):
        if "rejected" in expected:
            with pytest.raises(EventRejected, match=expected["rejected"]):
                parse_event(raw)
            continue
        event = parse_event(raw)
        assert event.resource.subscription == SUB
        assert event.resource_id.startswith(f"/subscriptions/{SUB}/")
        assert event.time is not None
        for key, value in expected.items():
            if key == "snapshot":
                assert (event.snapshot is not None) == value
                if value:
                    assert event.snapshot is not None
                    assert event.snapshot["id"] == event.resource_id
                    assert event.snapshot["properties"]
            elif key == "caller":
                assert event.caller_object_id == value
            else:
                assert getattr(event, key) == value, key
        if not name.startswith("resource-notifications"):
            assert event.caller_object_id == CALLER
            assert event.caller_app_id == CALLER
            assert event.correlation_id == CALLER
            assert event.operation_name


def test_cloudevents_spelled_specversion_with_capital_v_is_accepted() -> None:
    raw = json.loads(realistic(corpus_path("events", "cloudevents-schema", "resource_delete_success.json").read_text()))
    assert "specVersion" in raw
    assert parse_event(raw).schema is Schema.CLOUD_EVENTS


def base_event(**data: Any) -> dict[str, Any]:
    rid = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
    event = {
        "id": "e-1",
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2026-11-29T10:00:00.1234567Z",
        "subject": rid,
        "data": {
            "resourceUri": rid,
            "operationName": "Microsoft.CognitiveServices/accounts/write",
            "status": "Succeeded",
            "subscriptionId": SUB,
            "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": CALLER.replace("-", "").upper(), "appid": CALLER},
            "correlationId": "c-1",
        },
    }
    event["data"].update(data)
    return event


def test_a_plain_write_and_guid_normalisation() -> None:
    e = parse_event(base_event())
    assert e.resource.full_type == "Microsoft.CognitiveServices/accounts"
    assert e.resource.name == "oai"
    assert e.caller_object_id == CALLER  # ids without dashes, upper case, normalised
    assert e.kind is Kind.RESOURCE_CHANGE


def test_key_and_role_assignment_routing() -> None:
    assert parse_event(base_event(operationName="Microsoft.CognitiveServices/accounts/listKeys/action")).kind is Kind.KEY_ACCESS
    ra = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0001-4a00-8000-000000000001"
    event = base_event(resourceUri=ra, operationName="Microsoft.Authorization/roleAssignments/write")
    event["subject"] = ra
    parsed = parse_event(event)
    assert parsed.kind is Kind.ROLE_ASSIGNMENT
    assert parsed.resource.parent is not None
    assert parsed.resource.parent.full_type == "Microsoft.CognitiveServices/accounts"


HOSTILE = [
    ({"resourceUri": f"/subscriptions/{SUB}/resourceGroups/../providers/Microsoft.CognitiveServices/accounts/x"}, "'..' segment"),
    ({"resourceUri": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/x%2F..%2Fy"}, "cannot hold"),
    (
        {"resourceUri": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/x?api-version=1"},
        "cannot hold",
    ),
    ({"resourceUri": "https://evil.example/subscriptions/x"}, "does not start with '/'"),
    ({"resourceUri": "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s"}, "not a GUID"),
    ({"resourceUri": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts"}, "do not pair up"),
    ({"resourceUri": f"/subscriptions/{SUB}/resourceGroups/rg"}, "names a scope"),
    ({"resourceUri": 42}, "must be a string"),
    ({"resourceUri": "/subscriptions/" + "a" * 3000}, "longer than"),
    ({"subscriptionId": "5f3b2c1a-0000-4000-8000-00000000ffff"}, "not in the event's subscription"),
]


@pytest.mark.parametrize(("data", "reason"), HOSTILE)
def test_hostile_events_are_rejected_with_a_reason(data: dict[str, Any], reason: str) -> None:
    event = base_event(**data)
    if "resourceUri" in data:
        event.pop("subject")
    with pytest.raises(EventRejected, match=re.escape(reason)):
        parse_event(event)


def test_envelope_problems() -> None:
    e = base_event()
    cases: list[tuple[Any, str]] = [
        ({**e, "subject": e["subject"] + "x"}, "different resources"),
        ({k: v for k, v in e.items() if k != "id"}, "no id"),
        ({k: v for k, v in e.items() if k != "data"}, "'data' is missing"),
        ({**e, "eventType": "Microsoft.Storage.BlobCreated"}, "unsupported event type"),
        ({"id": "x", "specversion": "0.3", "type": "t", "data": {}}, "specversion"),
        ({"id": "x", "data": {}}, "neither"),
        ({**e, "data": {**e["data"], "blob": "x" * 1_100_000}}, "1 MB"),
    ]
    for raw, reason in cases:
        with pytest.raises(EventRejected, match=re.escape(reason)):
            parse_event(raw)
    with pytest.raises(EventRejected, match="not an event object"):
        list(iter_events([e, "x"]))


def test_parsing_never_mutates_the_event() -> None:
    raw = base_event()
    before = copy.deepcopy(raw)
    parse_event(raw)
    assert raw == before


@pytest.mark.parametrize("levels", TOO_DEEP)
def test_an_event_nested_too_deep_is_poison_with_the_reason(levels: int) -> None:
    event = base_event(claims=nested_value(levels - 2))  # the event and its data are two levels
    with pytest.raises(EventRejected) as refused:
        parse_event(event)
    refusal_names_the_limit(refused.value.reason, f"event {event['id']}")
    assert refused.value.event_id == event["id"]


def test_an_event_at_the_limit_is_parsed() -> None:
    assert parse_event(base_event(claims=nested_value(MAX_DEPTH - 2))).resource.name == "oai"
