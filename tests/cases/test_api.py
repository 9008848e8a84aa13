"""The approval API through the real decorated HTTP functions: over HTTP via the local host (which
routes to them as the Functions host would), every answer validated against /api/openapi.json, and
the security properties of the issue: 401, 403, fail closed without Easy Auth, separation of duties,
two approvers, stale plans, cross-site requests."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

import remediations
from driftguard.cases.api import MAX_BODY, ApprovalApi, openapi_document
from driftguard.cases.auth import MAX_HEADER, AuthError, Role, encode_principal, parse_principal
from driftguard.nesting import MAX_DEPTH
from functions.devhost import DevHost, serving
from tests.cases.conftest import ALICE, BOB, DEVELOPER, DemoWorld, HostedApp
from tests.cases.test_desk import PRIVILEGED, PUBLIC, _owner_grant
from tests.deep import nested_text, refusal_names_the_limit
from tests.test_function_app import MODULES, fresh_app

SPEC = OpenAPI.from_dict(openapi_document())
WRITE = {"Content-Type": "application/json", "X-DriftGuard-Request": "1"}


def as_user(object_id: str, name: str, *roles: str, long_claim: bool = False) -> str:
    return encode_principal(object_id, name, roles, long_role_claim=long_claim)


APPROVER_ALICE = as_user(ALICE.object_id, ALICE.name, Role.APPROVER.value)
APPROVER_BOB = as_user(BOB.object_id, BOB.name, Role.APPROVER.value, long_claim=True)  # the long role claim spelling
READER = as_user("4ead0000-0000-4000-8000-00000000000d", "Reader", Role.READER.value)


class Client:
    def __init__(self, host: DevHost) -> None:
        self.host = host
        self.session = requests.Session()

    def call(
        self, method: str, path: str, *, user: str | None, body: Any = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        self.host.principal_header = user
        data = None if body is None else json.dumps(body).encode()
        response = self.session.request(method, f"{self.host.url}/api/{path}", data=data, headers=headers or {}, timeout=30)
        # Every answer matches the published document (errors included).
        SPEC.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))  # type: ignore[arg-type]
        return response


@pytest.fixture
def client(demo: DemoWorld, hosted: HostedApp) -> Iterator[Client]:
    hosted.runtime.install_approvals(ApprovalApi(lambda: demo.desk, easy_auth=True))
    with serving(hosted.functions, principal_header=None) as host:
        yield Client(host)


def test_openapi_document_is_valid_and_served(client: Client, hosted: HostedApp) -> None:
    from openapi_spec_validator import validate

    assert client.call("GET", "openapi.json", user=None).status_code == 401  # served to signed-in readers only
    document = client.call("GET", "openapi.json", user=READER).json()
    validate(document)
    routes = {f"/{getattr(b, 'route', '')}" for f in hosted.functions for b in f.get_bindings() if b.type == "httpTrigger"}
    assert set(document["paths"]) == routes


def test_list_read_approve_through_the_api(client: Client, demo: DemoWorld) -> None:
    listed = client.call("GET", "cases?status=open", user=READER)
    assert listed.status_code == 200
    assert listed.headers["Cache-Control"] == "no-store"
    case = next(c for c in listed.json()["cases"] if c["rule"] == PUBLIC and c["resource_id"].endswith("/oai-contoso-prod-eu"))
    detail = client.call("GET", f"cases/{case['id']}", user=READER).json()
    assert detail["plan"]["steps"][0]["method"] == "PATCH"
    assert detail["plan"]["after"] == {"properties.publicNetworkAccess": "Disabled"}
    # Derived for a person: where the resource is, the severity, and the rule's title and why it matters.
    assert case["subscription_id"]
    assert case["resource_group"]
    assert case["resource_name"] == "oai-contoso-prod-eu"
    assert case["severity"] == "high"
    assert case["rule_title"]
    assert detail["rule_title"] == case["rule_title"]
    assert detail["rule_guidance"] == "Deny inbound internet access"
    assert detail["rule_references"]
    assert {"kind", "id", "title"} <= set(detail["rule_references"][0])
    # What else the fix touches, in its remediation's words (a ticket, with no plan, has none).
    touches = remediations.registry()[detail["plan"]["remediation"]].touches
    assert detail["fix_touches"] == touches
    assert "private endpoint" in touches
    # A reader reads; only an approver decides.
    denied = client.call(
        "POST", f"cases/{case['id']}/approve", user=READER, body={"reason": "ok", "plan_digest": detail["plan_digest"]}, headers=WRITE
    )
    assert denied.status_code == 403
    done = client.call(
        "POST",
        f"cases/{case['id']}/approve",
        user=APPROVER_ALICE,
        body={"reason": "CHG-7", "plan_digest": detail["plan_digest"]},
        headers=WRITE,
    )
    assert done.status_code == 200, done.text
    assert done.json()["case"]["status"] == "applied"
    assert demo.resource(case["resource_id"])["properties"]["publicNetworkAccess"] == "Disabled"  # type: ignore[index]
    assert client.call("GET", "cases?status=applied", user=READER).json()["cases"][0]["id"] == case["id"]
    # Its rollback says what undoing it reopens.
    back = client.call("POST", f"cases/{case['id']}/rollback", user=APPROVER_ALICE, body={"reason": "undo"}, headers=WRITE)
    assert back.status_code == 200, back.text
    assert back.json()["next_case"]["fix_touches"] == "Undoes the fix, reopening what it closed. The fix itself: " + touches
    assert client.call("GET", "cases?status=nonsense", user=READER).status_code == 400
    assert client.call("GET", "cases/not-a-case", user=READER).status_code == 404


def test_no_header_is_401_and_a_user_without_role_is_403(client: Client) -> None:
    assert client.call("GET", "cases", user=None).status_code == 401
    nobody = as_user("0b0d0000-0000-4000-8000-00000000000e", "No Role")
    assert client.call("GET", "cases", user=nobody).status_code == 403
    assert client.call("GET", "console", user=nobody).status_code == 403
    garbage = base64.b64encode(b"not json").decode()
    assert client.call("GET", "cases", user=garbage).status_code == 401


def test_a_forged_header_is_refused_when_easy_auth_is_off(demo: DemoWorld, hosted: HostedApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Called as the Functions host calls it: the decorated function, an azure.functions request."""
    assert hosted.runtime.EASY_AUTH is False  # WEBSITE_AUTH_ENABLED is not set here
    hosted.runtime.install_approvals(ApprovalApi(lambda: demo.desk, easy_auth=hosted.runtime.EASY_AUTH))
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    for name, route, method, body in (
        ("list_cases", {}, "GET", b""),
        ("approve_case", {"id": case.id}, "POST", json.dumps({"reason": "x", "plan_digest": case.plan_digest}).encode()),
        ("console", {}, "GET", b""),
    ):
        request = func.HttpRequest(
            method,
            "https://driftguard.example/api/cases",
            headers={"X-MS-CLIENT-PRINCIPAL": APPROVER_ALICE, **WRITE},
            route_params=route,
            body=body,
        )
        answer = hosted.function(name)(request)
        assert answer.status_code == 401
        assert b"not enabled" in answer.get_body()
    assert demo.resource(case.resource_id)["properties"]["publicNetworkAccess"] == "Enabled"  # type: ignore[index]


def test_self_approval_second_approver_and_stale_plan(client: Client, demo: DemoWorld) -> None:
    grant = _owner_grant(demo)
    case = demo.open_case(PRIVILEGED, grant.rsplit("/", 1)[-1])
    body = {"reason": "no standing Owner", "plan_digest": case.plan_digest}
    developer = as_user(DEVELOPER, "Developer", Role.APPROVER.value)
    assert client.call("POST", f"cases/{case.id}/approve", user=developer, body=body, headers=WRITE).status_code == 403
    stale = client.call("POST", f"cases/{case.id}/approve", user=APPROVER_ALICE, body={**body, "plan_digest": "a" * 64}, headers=WRITE)
    assert stale.status_code == 409
    first = client.call("POST", f"cases/{case.id}/approve", user=APPROVER_ALICE, body=body, headers=WRITE)
    assert first.json()["case"]["status"] == "open"
    again = client.call("POST", f"cases/{case.id}/approve", user=APPROVER_ALICE, body=body, headers=WRITE)
    assert again.status_code == 409
    assert demo.resource(grant) is not None
    second = client.call("POST", f"cases/{case.id}/approve", user=APPROVER_BOB, body=body, headers=WRITE)
    assert second.json()["case"]["status"] == "applied"
    assert demo.resource(grant) is None


def test_cross_site_requests_are_refused(client: Client, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    body = {"reason": "ok", "plan_digest": case.plan_digest}
    path = f"cases/{case.id}/approve"
    # A plain HTML form can post neither the header nor JSON.
    assert client.call("POST", path, user=APPROVER_ALICE, body=body, headers={"Content-Type": "application/json"}).status_code == 403
    assert client.call("POST", path, user=APPROVER_ALICE, body=body, headers={**WRITE, "Content-Type": "text/plain"}).status_code == 415
    evil = {**WRITE, "Origin": "https://evil.example"}
    assert client.call("POST", path, user=APPROVER_ALICE, body=body, headers=evil).status_code == 403
    assert client.call("POST", path, user=APPROVER_ALICE, body=body, headers={**WRITE, "Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert demo.resource(case.resource_id)["properties"]["publicNetworkAccess"] == "Enabled"  # type: ignore[index]
    same = {**WRITE, "Origin": client.host.url, "Sec-Fetch-Site": "same-origin"}
    assert client.call("POST", path, user=APPROVER_ALICE, body=body, headers=same).status_code == 200


def test_bad_bodies_get_clear_errors(client: Client, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    path = f"cases/{case.id}/reject"
    client.host.principal_header = APPROVER_ALICE
    raw = client.session.post(f"{client.host.url}/api/{path}", data=b"{not json", headers=WRITE, timeout=30)
    assert raw.status_code == 400
    assert "not JSON" in raw.json()["error"]
    assert client.call("POST", path, user=APPROVER_ALICE, body=["a list"], headers=WRITE).status_code == 400
    assert client.call("POST", path, user=APPROVER_ALICE, body={}, headers=WRITE).json() == {"error": "a reason is required"}
    assert client.call("POST", path, user=APPROVER_ALICE, body={"reason": "x" * 20_000}, headers=WRITE).status_code == 413


def test_console_page_is_self_contained(client: Client) -> None:
    client.host.principal_header = as_user(ALICE.object_id, '<img src=x onerror="alert(1)">', Role.APPROVER.value)
    page = client.session.get(f"{client.host.url}/api/console", timeout=30)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "<img src=x" not in page.text  # the signed-in name is escaped
    assert "&lt;img src=x" in page.text
    assert "http://" not in page.text.replace(client.host.url, "")
    assert "https://" not in page.text


def test_easy_auth_is_read_from_the_platform_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_app(monkeypatch, WEBSITE_AUTH_ENABLED="True")
    assert sys.modules["functions.runtime"].EASY_AUTH is True
    for name in MODULES:
        sys.modules.pop(name, None)


def test_a_body_nested_too_deep_is_a_400_naming_the_limit(client: Client, demo: DemoWorld) -> None:
    case = demo.open_case(PUBLIC, "oai-contoso-prod-eu")
    url = f"{client.host.url}/api/cases/{case.id}/reject"
    client.host.principal_header = APPROVER_ALICE
    # As deep as MAX_BODY lets a body go (far past json's recursion limit), and one level past ours.
    for levels in (MAX_BODY // 5, MAX_DEPTH + 1):
        body = '{"reason": "ok", "x": ' + nested_text(levels - 1) + "}"
        answer = client.session.post(url, data=body.encode(), headers=WRITE, timeout=30)
        assert answer.status_code == 400
        refusal_names_the_limit(answer.json()["error"], "the body")
    too_large = client.session.post(url, data=nested_text(100_000).encode(), headers=WRITE, timeout=30)
    assert too_large.status_code == 413  # refused before it is parsed
    at_limit = client.session.post(
        url, data=('{"reason": "ok", "x": ' + nested_text(MAX_DEPTH - 1) + "}").encode(), headers=WRITE, timeout=30
    )
    assert at_limit.status_code == 200
    assert at_limit.json()["case"]["status"] == "rejected"


def test_a_principal_header_nested_too_deep_is_a_401_naming_the_limit(client: Client) -> None:
    def header(levels: int) -> str:
        claims = [{"typ": "oid", "val": ALICE.object_id}, {"typ": "roles", "val": Role.READER.value}]
        text = '{"claims": ' + json.dumps(claims) + ', "x": ' + nested_text(levels - 1) + "}"
        return base64.b64encode(text.encode()).decode()

    for levels in (MAX_HEADER * 3 // 4 // 5, MAX_DEPTH + 1):
        with pytest.raises(AuthError) as refused:
            parse_principal(header(levels))
        assert refused.value.status == 401
        refusal_names_the_limit(refused.value.message, "the client principal header")
        assert client.call("GET", "cases", user=header(levels)).status_code == 401
    with pytest.raises(AuthError, match="too large"):
        parse_principal(header(100_000))
    assert parse_principal(header(MAX_DEPTH)).object_id == ALICE.object_id
    assert client.call("GET", "cases", user=header(MAX_DEPTH)).status_code == 200


def test_people_are_named_from_the_directory_and_left_as_ids_when_it_is_down(demo: DemoWorld) -> None:
    from driftguard.inventory import InventoryError

    grant = _owner_grant(demo)
    case = demo.open_case(PRIVILEGED, grant.rsplit("/", 1)[-1])
    demo.world.sim.directory.add(DEVELOPER, "User", "Dana Developer")
    api = ApprovalApi(lambda: demo.desk, easy_auth=True, people=demo.world.directory().principals)
    assert api.people(case)[DEVELOPER] == {"name": "Dana Developer", "upn": "Dana Developer@contoso.onmicrosoft.com", "kind": "User"}

    def down(ids: object) -> dict[str, object]:
        raise InventoryError("Microsoft Graph unreachable")

    assert ApprovalApi(lambda: demo.desk, easy_auth=True, people=down).people(case) == {}  # type: ignore[arg-type]


def test_an_access_review_case_shows_principal_role_scope_and_evidence_of_use(client: Client, demo: DemoWorld) -> None:
    from datetime import UTC, datetime

    from driftguard.review import open_removal_cases

    review = demo.world.review(demo.policy)
    opened = open_removal_cases(review, store=demo.world.store, policy=demo.policy, now=datetime.now(UTC)).opened
    assert opened
    api = ApprovalApi(lambda: demo.desk, easy_auth=True, people=demo.world.directory().principals)
    details = {d["access"]["principal_id"][-4:]: d for d in (api.detail(demo.desk.case(i)) for i in opened)}
    # The escalated user: by name, Owner by name, at the subscription, used two days ago by caller and scope.
    alice = details["a001"]
    assert alice["people"][alice["access"]["principal_id"]]["name"] == "Alice Okafor"
    assert alice["access"]["role_name"] == "Owner"
    assert alice["access"]["scope"] == f"/subscriptions/{demo.world.sample.PROD}"
    assert alice["access"]["matched_by"] == "caller and scope"
    assert alice["access"]["use"].startswith("last activity 20")
    assert alice["access"]["use"].endswith("UTC (matched by caller and scope)")
    # Who made it and when, as ARM records it, by name.
    assert alice["access"]["granted_on"].startswith("20")
    assert alice["people"][alice["access"]["granted_by"].lower()]["name"] == "Priya Platform"
    # The deleted principal: said so, and no activity in the window.
    orphan = details["c003"]
    assert orphan["people"][orphan["access"]["principal_id"]]["name"] == f"deleted principal {orphan['access']['principal_id']}"
    assert orphan["access"]["last_activity"] is None
    assert orphan["access"]["use"] == "no activity in 90 days (none recorded in the Activity Log)"
    # Served as the OpenAPI document says (the client validates every answer).
    assert client.call("GET", f"cases/{opened[0]}", user=READER).json()["access"]["use"]
    # A case from an assignment's event read no activity: null, and the console says why.
    grant = _owner_grant(demo)
    event_case = api.detail(demo.open_case(PRIVILEGED, grant.rsplit("/", 1)[-1]))
    assert event_case["access"]["use"] is None


def test_only_the_principal_a_case_is_about_is_named_deleted(demo: DemoWorld) -> None:
    from datetime import UTC, datetime

    from driftguard.azure.directory import Principal as Person
    from driftguard.store.base import Case, CaseStatus

    about, app = "0000aaaa-0000-4000-8000-000000000001", "0000bbbb-0000-4000-8000-000000000002"
    now = datetime.now(UTC)
    case = Case("k", PRIVILEGED, "/x", CaseStatus.OPEN, "r", now, now, evidence={"principalId": about, "caller_app_id": app})
    # The directory finds neither: the assignment's principal is deleted; an app id is never an object id.
    api = ApprovalApi(lambda: demo.desk, easy_auth=True, people=lambda ids: {i: Person(i, False) for i in ids})
    assert api.people(case) == {about: {"name": f"deleted principal {about}", "upn": None, "kind": None}}
