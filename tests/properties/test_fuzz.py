"""Hostile and broken input never crashes DriftGuard: the event parser, the snapshot loader, the Easy
Auth header and the approval API answer every input with a result or a clear one-line refusal."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftguard import rules
from driftguard.cases.api import REQUEST_HEADER, ApiRequest, ApprovalApi
from driftguard.cases.auth import PRINCIPAL_HEADER, AuthError, Role, encode_principal, parse_principal
from driftguard.events import ChangeEvent, EventRejected, iter_events, parse_event
from driftguard.inventory import InventoryError, ListInventory
from driftguard.model import Source
from driftguard.nesting import MAX_DEPTH
from driftguard.pipeline import Evaluator
from driftguard.policy import Policy
from driftguard.snapshot import SnapshotError, iter_resources

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=30,
)
SUB = "11111111-1111-4111-8111-111111111111"
RID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"
VALID = {
    "id": "e-1",
    "topic": f"/subscriptions/{SUB}",
    "subject": RID,
    "eventType": "Microsoft.Resources.ResourceWriteSuccess",
    "eventTime": "2026-11-29T10:00:00Z",
    "dataVersion": "2",
    "data": {
        "resourceUri": RID,
        "operationName": "Microsoft.CognitiveServices/accounts/write",
        "status": "Succeeded",
        "subscriptionId": SUB,
        "claims": {"oid": "de7de7de-0000-4000-8000-000000000002"},
        "correlationId": "c-1",
    },
}
FIELDS = ("id", "topic", "subject", "eventType", "eventTime", "dataVersion", "data", "specversion", "type", "source")
DATA_FIELDS = ("resourceUri", "operationName", "status", "subscriptionId", "claims", "correlationId", "resourceInfo")


def one_line(message: str) -> None:
    assert message.strip(), "an empty refusal"
    assert "\n" not in message, message
    assert len(message) < 600, message


@settings(max_examples=400, deadline=None)
@given(raw=JSON_VALUES)
def test_random_json_is_an_event_or_a_clear_refusal(raw: Any) -> None:
    try:
        for item in iter_events(raw):
            try:
                assert isinstance(parse_event(item), ChangeEvent)
            except EventRejected as e:
                one_line(e.reason)
    except EventRejected as e:
        one_line(e.reason)


@settings(max_examples=400, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    data_field=st.sampled_from(DATA_FIELDS),
    value=JSON_VALUES,
    data_value=JSON_VALUES,
    drop=st.booleans(),
)
def test_a_valid_event_with_one_field_broken(field: str, data_field: str, value: Any, data_value: Any, drop: bool) -> None:
    raw: dict[str, Any] = json.loads(json.dumps(VALID))
    if drop:
        raw.pop(field, None)
    else:
        raw[field] = value
    if isinstance(raw.get("data"), dict):
        raw["data"][data_field] = data_value
    try:
        event = parse_event(raw)
    except EventRejected as e:
        one_line(e.reason)
        return
    assert event.resource_id  # accepted events name a well-formed resource


def scan_text(text: str) -> int:
    """The snapshot scan's whole path: load, check each resource's shape, run every rule."""
    findings, _ = Evaluator(Policy(), now=datetime(2026, 11, 29, tzinfo=UTC)).run(
        ListInventory(iter_resources(io.StringIO(text), name="fuzz.json"), source=Source.SNAPSHOT)
    )
    return sum(1 for _ in findings)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300) | st.builds(json.dumps, JSON_VALUES))
def test_any_snapshot_text_scans_or_is_refused_clearly(text: str) -> None:
    try:
        assert scan_text(text) >= 0
    except (SnapshotError, InventoryError) as e:
        one_line(str(e))


RULE_TYPES = sorted(rules.rule_types())


@st.composite
def arm_resource(draw: st.DrawFn) -> dict[str, Any]:
    """A resource of a type the rules judge, with whatever a tenant (or a bug) might put in it."""
    rtype = draw(st.sampled_from(RULE_TYPES))
    namespace, *kinds = rtype.split("/")
    path = f"/subscriptions/{SUB}/resourceGroups/rg/providers/{namespace}/{kinds[0]}/r1" + "".join(f"/{k}/c1" for k in kinds[1:])
    resource: dict[str, Any] = {"id": path, "type": rtype, "name": "r1"}
    for key in ("properties", "kind", "sku", "identity", "tags", "location"):
        if draw(st.booleans()):
            resource[key] = draw(JSON_VALUES)
    if draw(st.booleans()):
        resource["properties"] = draw(st.dictionaries(st.sampled_from(PROPERTY_NAMES), JSON_VALUES, max_size=8))
    return resource


PROPERTY_NAMES = (
    "publicNetworkAccess",
    "networkAcls",
    "disableLocalAuth",
    "restrictOutboundNetworkAccess",
    "allowedFqdnList",
    "privateEndpointConnections",
    "encryption",
    "raiPolicyName",
    "model",
    "versionUpgradeOption",
    "managedNetwork",
    "systemDatastoresAuthMode",
    "networkRuleSet",
    "allowBlobPublicAccess",
    "allowSharedKeyAccess",
    "pricingTier",
    "state",
    "contentFilters",
    "storageAccount",
)


@settings(max_examples=300, deadline=None)
@given(resources=st.lists(arm_resource(), max_size=6))
def test_rules_survive_any_property_values(resources: list[dict[str, Any]]) -> None:
    try:
        assert scan_text(json.dumps(resources)) >= 0
    except (SnapshotError, InventoryError) as e:
        one_line(str(e))


@settings(max_examples=300, deadline=None)
@given(header=st.text(max_size=200) | st.builds(lambda v: base64.b64encode(json.dumps(v).encode()).decode(), JSON_VALUES))
def test_any_principal_header_is_a_principal_or_a_401(header: str) -> None:
    try:
        principal = parse_principal(header)
    except AuthError as e:
        refusal = e
    else:
        assert principal.object_id
        return
    assert refusal.status == 401
    one_line(refusal.message)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> ApprovalApi:
    from driftguard.policy import load_policy
    from tests.cases.conftest import ROOT, DemoWorld

    demo = DemoWorld(Path(tmp_path_factory.mktemp("fuzz-api")), load_policy(ROOT / "examples" / "policy.json")).start()
    return ApprovalApi(lambda: demo.desk, easy_auth=True)


APPROVER = encode_principal("a11ce000-0000-4000-8000-00000000000a", "Alice", (Role.APPROVER.value,))
STATUSES = {200, 400, 401, 403, 404, 409, 413, 415, 503}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    case_id=st.text(max_size=40) | st.sampled_from(["0" * 24 + "-0", "../../etc/passwd", "%00", "a" * 10_000]),
    action=st.sampled_from(["approve", "reject", "rollback", "delete", ""]),
    body=st.binary(max_size=300) | st.builds(lambda v: json.dumps(v).encode(), JSON_VALUES),
    principal=st.sampled_from([APPROVER, None, "", "not base64!", base64.b64encode(b"[]").decode()]),
    same_origin=st.booleans(),
    status=st.text(max_size=20),
)
def test_the_approval_api_answers_every_input(
    api: ApprovalApi, case_id: str, action: str, body: bytes, principal: str | None, same_origin: bool, status: str
) -> None:
    headers = {"content-type": "application/json"}
    if principal is not None:
        headers[PRINCIPAL_HEADER] = principal
    if same_origin:
        headers[REQUEST_HEADER] = "1"
    for answer in (
        api.decide(ApiRequest("POST", headers, {}, body), case_id, action),
        api.get_case(ApiRequest("GET", headers), case_id),
        api.list_cases(ApiRequest("GET", headers, {"status": status})),
    ):
        assert answer.status in STATUSES
        payload = answer.json()
        if answer.status >= 400:
            one_line(payload["error"])


# One level of nesting each: an object or an array, with scalar siblings on either side of the deep
# branch (brackets inside strings too, as the snapshot reader's batch cuts must not be fooled by them).
LEVELS = (
    ('{"a": ', "}"),
    ('{"k": "},{", "a": ', ', "z": true}'),
    ("[", "]"),
    ('[1, "[", ', ", null]"),
)


@st.composite
def nested_json(draw: st.DrawFn) -> tuple[str, int]:
    """JSON text nested around the limit (or far from it), and its depth."""
    depth = draw(st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3) | st.integers(1, 300))
    levels = draw(st.lists(st.sampled_from(LEVELS), min_size=depth, max_size=depth))
    return "".join(o for o, _ in levels) + "0" + "".join(c for _, c in reversed(levels)), depth


DEPTH_REFUSAL = f"nested deeper than {MAX_DEPTH} levels"


@settings(max_examples=100, deadline=None)
@given(nested=nested_json())
def test_nesting_is_refused_exactly_past_the_limit_everywhere(nested: tuple[str, int]) -> None:
    """The same limit, counted the same way, for a snapshot's resource, an event, the principal header."""
    text, depth = nested
    resource = f'[{{"id": "{RID}", "type": "Microsoft.Web/sites", "x": {text}}}]'  # one level more
    if 1 + depth > MAX_DEPTH:
        with pytest.raises(SnapshotError, match=DEPTH_REFUSAL) as snapshot_refusal:
            scan_text(resource)
        one_line(str(snapshot_refusal.value))
    else:
        assert scan_text(resource) == 0

    event: dict[str, Any] = json.loads(json.dumps(VALID))
    event["data"]["x"] = json.loads(text)  # two levels more
    if 2 + depth > MAX_DEPTH:
        with pytest.raises(EventRejected, match=DEPTH_REFUSAL) as event_refusal:
            parse_event(event)
        one_line(event_refusal.value.reason)
    else:
        assert parse_event(event).resource_id == RID

    claims = json.dumps([{"typ": "oid", "val": "a11ce000-0000-4000-8000-00000000000a"}])
    header = base64.b64encode(f'{{"claims": {claims}, "x": {text}}}'.encode()).decode()  # one level more
    if 1 + depth > MAX_DEPTH:
        with pytest.raises(AuthError, match=DEPTH_REFUSAL) as auth_refusal:
            parse_principal(header)
        assert auth_refusal.value.status == 401
    else:
        assert parse_principal(header).object_id


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nested=nested_json())
def test_an_api_body_is_refused_exactly_past_the_limit(api: ApprovalApi, nested: tuple[str, int]) -> None:
    text, depth = nested
    headers = {"content-type": "application/json", REQUEST_HEADER: "1", PRINCIPAL_HEADER: APPROVER}
    answer = api.decide(ApiRequest("POST", headers, {}, f'{{"reason": "r", "x": {text}}}'.encode()), "0" * 24 + "-0", "reject")
    assert answer.status in STATUSES
    error = answer.json()["error"]
    one_line(error)
    assert (DEPTH_REFUSAL in error) == (1 + depth > MAX_DEPTH), error
