"""Authentication comes before anything else: an anonymous or forged request to any approval route
(the OpenAPI document and the console included) is refused without building the engine (no managed
identity token, no store, no tables), so it costs nothing and gets 401 even when the store is down.
Called as the Functions host calls them: the decorated functions, real `azure.functions` requests, the
runtime built from settings whose store endpoint answers nobody."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest

from driftguard.cases.auth import Role, encode_principal
from tests.cases.conftest import HostedApp
from tests.test_function_app import MODULES

# Nothing listens on the discard port: the state store is down.
STORE_DOWN = "https://127.0.0.1:9"
READER = encode_principal("4ead0000-0000-4000-8000-00000000000d", "Reader", (Role.READER.value,))
APPROVER = encode_principal("a11ce000-0000-4000-8000-00000000000a", "Alice", (Role.APPROVER.value,))
NO_OBJECT_ID = base64.b64encode(json.dumps({"claims": [{"typ": "roles", "val": Role.APPROVER.value}]}).encode()).decode()
WRITE = {"Content-Type": "application/json", "X-DriftGuard-Request": "1"}


def start(monkeypatch: pytest.MonkeyPatch, *, easy_auth: bool) -> HostedApp:
    monkeypatch.setenv("DRIFTGUARD_TABLE_ENDPOINT", STORE_DOWN)
    if easy_auth:
        monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    else:
        monkeypatch.delenv("WEBSITE_AUTH_ENABLED", raising=False)
    hosted = HostedApp(monkeypatch)
    assert hosted.runtime.EASY_AUTH is easy_auth
    return hosted


@pytest.fixture(autouse=True)
def _forget_modules() -> Iterator[None]:
    yield
    for name in MODULES:
        sys.modules.pop(name, None)


def http_functions(hosted: HostedApp) -> list[tuple[str, str, dict[str, str]]]:
    """(name, method, route params) of every HTTP function the host would index: none is forgotten."""
    found = []
    for function in hosted.functions:
        for binding in function.get_bindings():
            if binding.type == "httpTrigger":
                method = getattr(binding.methods[0], "value", binding.methods[0])  # an HttpMethod, or its text
                params = {"id": "case-1"} if "{id}" in binding.route else {}
                found.append((function.get_function_name(), str(method), params))
    return found


def call(hosted: HostedApp, name: str, method: str, params: dict[str, str], headers: dict[str, str]) -> func.HttpResponse:
    body = json.dumps({"reason": "x", "plan_digest": "a" * 64}).encode() if method == "POST" else b""
    request = func.HttpRequest(
        method, f"https://driftguard.example/api/{name}", headers={**headers, **WRITE}, route_params=params, body=body
    )
    answer: func.HttpResponse = hosted.function(name)(request)
    return answer


def engine_built(hosted: HostedApp) -> bool:
    built: Any = hosted.runtime._app
    return built is not None


def test_every_route_refuses_anonymous_and_forged_callers_before_building_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    hosted = start(monkeypatch, easy_auth=True)
    routes = http_functions(hosted)
    assert {name for name, _, _ in routes} >= {"list_cases", "get_case", "approve_case", "console", "openapi"}
    garbage = base64.b64encode(b"not json").decode()
    for name, method, params in routes:
        for headers in ({}, {"X-MS-CLIENT-PRINCIPAL": garbage}, {"X-MS-CLIENT-PRINCIPAL": NO_OBJECT_ID}):
            answer = call(hosted, name, method, params, headers)
            assert answer.status_code == 401, (name, headers, answer.get_body())
            assert "error" in json.loads(answer.get_body())
    assert not engine_built(hosted)


def test_without_easy_auth_even_a_valid_header_is_refused_before_building_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    hosted = start(monkeypatch, easy_auth=False)
    for name, method, params in http_functions(hosted):
        answer = call(hosted, name, method, params, {"X-MS-CLIENT-PRINCIPAL": APPROVER})
        assert answer.status_code == 401, name
        assert b"not enabled" in answer.get_body()
    assert not engine_built(hosted)


def test_a_reader_gets_the_console_and_the_document_without_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    hosted = start(monkeypatch, easy_auth=True)
    console = call(hosted, "console", "GET", {}, {"X-MS-CLIENT-PRINCIPAL": READER})
    assert console.status_code == 200
    assert console.mimetype == "text/html"
    document = call(hosted, "openapi", "GET", {}, {"X-MS-CLIENT-PRINCIPAL": READER})
    assert document.status_code == 200
    assert "/cases/{id}/approve" in json.loads(document.get_body())["paths"]
    nobody = encode_principal("0b0d0000-0000-4000-8000-00000000000e", "No Role", ())
    assert call(hosted, "openapi", "GET", {}, {"X-MS-CLIENT-PRINCIPAL": nobody}).status_code == 403
    assert not engine_built(hosted)


def test_with_the_store_down_a_signed_in_reader_is_told_to_retry_and_anonymous_still_gets_401(monkeypatch: pytest.MonkeyPatch) -> None:
    hosted = start(monkeypatch, easy_auth=True)
    listed = call(hosted, "list_cases", "GET", {}, {"X-MS-CLIENT-PRINCIPAL": READER})
    assert listed.status_code == 503, listed.get_body()
    assert listed.headers["Retry-After"] == "30"
    assert not engine_built(hosted)  # the failed build is not kept: the next call tries again
    assert call(hosted, "list_cases", "GET", {}, {}).status_code == 401
