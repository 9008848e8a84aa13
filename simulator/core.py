"""The simulator's one core: a request in, a response out, over an `Estate`.

It answers only what Azure has: every ARM request is matched against the operations that
`simulator.spec` reads out of the `azure-mgmt-*` packages (method, URL template, api-version, status
codes, long-running-operation options, body model). An operation Azure does not have is refused with
ARM's error envelope; a body is taken as the provider takes it (unknown and read-only properties are
ignored, a bad enum value, a wrong JSON type or a missing required property is a 400); PUT replaces,
PATCH merges; long-running operations complete after `lro_delay_s`, so that polls see them running.
Resource Graph (`POST /providers/Microsoft.ResourceGraph/resources`, 1,000-row pages, `$skipToken`)
returns only the types it indexes. With `throttling`, ARM's token buckets and Resource Graph's quota
answer 429 with `Retry-After` as Azure does.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

from simulator import builders, dataplane, kql
from simulator.directory import Directory
from simulator.spec import BodyRefused, Catalog, Operation, Schema, as_read, catalog
from simulator.state import JSON, Estate, split_id
from simulator.throttle import Throttle
from simulator.writes import TENANT, WriteSide, merge_patch, new_etag, principal_of, without_nulls

PAGE = 1000


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    api_version: str | None
    status: int
    # Who sent it (the object id of the bearer token; "" when none), the correlation id it carried, and
    # its body as text: what a test needs to tell one writer's request from another's, and a retry
    # from a second write.
    caller: str = ""
    correlation: str | None = None
    body: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "api_version": self.api_version,
            "status": self.status,
            "caller": self.caller,
            "correlation": self.correlation,
            "body": self.body,
        }

    @property
    def is_graph(self) -> bool:
        return self.path.lower().startswith("/providers/microsoft.resourcegraph/")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Set when the connection must be dropped without an answer (a fault).
    drop: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


@dataclass
class Fault:
    """An injected failure: `kind` is "429", "500", "503", "latency" or "drop"; it fires `times` times
    on requests whose method and path match."""

    kind: str
    path: str = ".*"
    method: str | None = None
    times: int = 1
    retry_after: int = 1
    delay_s: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and re.search(self.path, path, re.I) is not None


# The providers the simulator serves, as Providers - Get describes them (newest api-version first).
# Requests at an older listed version are answered with the newest version's operations and models
# (the properties DriftGuard reads have the same shape in each); any other version is refused.
CS_VERSIONS = ("2025-09-01", "2025-06-01", "2024-10-01", "2023-05-01")
PROVIDERS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "microsoft.cognitiveservices": (
        "Microsoft.CognitiveServices",
        {
            "accounts": CS_VERSIONS,
            "accounts/deployments": CS_VERSIONS,
            "accounts/raiPolicies": CS_VERSIONS,
            "accounts/defenderForAISettings": CS_VERSIONS[:2],
        },
    ),
    # The older stable versions other tools pin (Cloud Custodian's SDKs: Search 2020-08-01, ML 2023-04-01).
    "microsoft.machinelearningservices": ("Microsoft.MachineLearningServices", {"workspaces": ("2025-06-01", "2024-10-01", "2023-04-01")}),
    "microsoft.search": ("Microsoft.Search", {"searchServices": ("2025-05-01", "2024-06-01-preview", "2023-11-01", "2020-08-01")}),
    "microsoft.storage": ("Microsoft.Storage", {"storageAccounts": ("2025-06-01", "2024-01-01", "2023-05-01")}),
    # Session pools' stable versions (the 2024/2025 previews are left out: what they add is not read).
    "microsoft.app": ("Microsoft.App", {"sessionPools": ("2026-07-01", "2025-07-01", "2025-01-01")}),
    # API Management (AI gateways): azure-mgmt-apimanagement 5.0's version, the newest stable it carries.
    "microsoft.apimanagement": (
        "Microsoft.ApiManagement",
        {"service": ("2024-05-01",), "service/backends": ("2024-05-01",), "service/namedValues": ("2024-05-01",)},
    ),
    # Private endpoints, read for the subnet each is in (GET only): the version infra/ deploys them at.
    "microsoft.network": ("Microsoft.Network", {"privateEndpoints": ("2024-05-01",)}),
}


def error(status: int, code: str, message: str) -> Response:
    return Response.json(status, {"error": {"code": code, "message": message}})


# Resource Graph's `resources` table indexes top-level resource types; of the child types the simulator
# holds, it indexes none (Resource Graph "supported tables and resource types"): deployments, RAI
# policies and Defender for AI settings are read per account over ARM. Diagnostic settings are
# extension resources, not in `resources` either.
NOT_IN_RESOURCES_TABLE = frozenset({"microsoft.insights/diagnosticsettings"})
GRAPH_TABLES = {"securityresources": ("microsoft.security",), "authorizationresources": ("microsoft.authorization",)}


def in_graph_table(table: str, resource_type: str) -> bool:
    rtype = resource_type.lower()
    namespace = rtype.split("/", 1)[0]
    if table in GRAPH_TABLES:
        return namespace in GRAPH_TABLES[table]
    if table != "resources" or namespace in ("microsoft.security", "microsoft.authorization"):
        return False
    return rtype.count("/") == 1 and rtype not in NOT_IN_RESOURCES_TABLE


# What Azure answers key actions with, when local auth is off on a Cognitive Services account: key
# operations are refused (Cognitive Services docs on disabling local authentication).
LOCAL_AUTH_OFF = "Failed to list key. disableLocalAuth is set to be true"


_RAI_PARENT = re.compile(r"/providers/microsoft\.cognitiveservices/accounts/[^/]+$", re.I)


class Simulator:
    def __init__(
        self,
        estate: Estate | None = None,
        *,
        management_groups: Mapping[str, list[str]] | None = None,
        lro_delay_s: float = 0.0,
        throttling: bool | Throttle = False,
    ) -> None:
        self.estate = estate or Estate()
        self.management_groups = {k.lower(): list(v) for k, v in (management_groups or {}).items()}
        self.directory = Directory()
        self.writes = WriteSide(self.estate, directory=self.directory)
        # Resource Notifications describe properties at the oldest version a type serves.
        self.writes.notification_versions = {
            f"{canonical}/{rtype}".lower(): versions[-1] for canonical, types in PROVIDERS.values() for rtype, versions in types.items()
        }
        self.catalog: Catalog = catalog()
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        # CloudEvents published to the custom topic endpoint (/api/events), in arrival order.
        self.topic_events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._pages: dict[str, list[JSON]] = {}
        # ARM pages long lists with `nextLink`; a test lowers this to make every client follow it.
        self.list_page_size = 1000
        # How long a long-running operation runs before it completes (0: at the first poll).
        self.lro_delay_s = lro_delay_s
        self.throttle: Throttle | None = Throttle() if throttling is True else (throttling or None)

    # --- bookkeeping -----------------------------------------------------------------------------

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def count(self, *, graph: bool | None = None, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if (graph is None or r.is_graph == graph) and (method is None or r.method == method))

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.times > 0 and f.matches(method, path):
                    f.times -= 1
                    return f
        return None

    # --- entry point -----------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Response:
        method = method.upper()
        if path == "/_simulator/stats":
            # Control endpoint for benchmarks in another process: request counts, not itself counted.
            with self._lock:
                requests = list(self.requests)
            directory = sum(1 for r in requests if r.path.lower().startswith("/v1.0/"))
            logs = sum(1 for r in requests if r.path.lower().startswith("/v1/workspaces/"))
            graph = sum(1 for r in requests if r.is_graph)
            arm = len(requests) - graph - directory - logs
            throttled = sum(1 for r in requests if r.status == 429)
            return Response.json(
                200, {"graph_calls": graph, "arm_calls": arm, "directory_calls": directory, "logs_calls": logs, "throttled": throttled}
            )
        if path == "/_simulator/reset":
            self.reset_log()
            return Response.json(200, {})
        if path == "/_simulator/requests":
            # The request log for a test in another process: every request since the last reset, in
            # arrival order, with its caller, correlation id and body.
            with self._lock:
                return Response.json(200, {"requests": [r.to_json() for r in self.requests]})
        params = {k.lower(): v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        response = self._dispatch(method, path, params, headers, body)
        lowered = {k.lower(): v for k, v in headers.items()}
        auth = lowered.get("authorization", "")
        caller = principal_of(auth[7:].strip())[0] if auth.lower().startswith("bearer ") else ""
        recorded = RecordedRequest(
            method,
            path,
            params.get("api-version"),
            response.status,
            caller,
            lowered.get("x-ms-correlation-request-id"),
            body.decode("utf-8", "replace"),
        )
        with self._lock:
            self.requests.append(recorded)
        return response

    def _dispatch(self, method: str, path: str, params: dict[str, str], headers: Mapping[str, str], body: bytes) -> Response:
        fault = self._take_fault(method, path)
        if fault is not None:
            if fault.kind == "latency":
                time.sleep(fault.delay_s)
            elif fault.kind == "drop":
                return Response(0, drop=True)
            elif fault.kind == "429":
                return Response.json(
                    429, {"error": {"code": "TooManyRequests", "message": "simulated throttling"}}, {"Retry-After": str(fault.retry_after)}
                )
            else:
                return error(int(fault.kind), "ServerError", f"simulated HTTP {fault.kind}")
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.lower().startswith("bearer ") or len(auth) < 8:
            return error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        token = auth[7:].strip()
        if path.lower().startswith("/v1.0/"):
            return self._graph_directory(method, path, params, headers, body)
        if path.lower().startswith("/v1/workspaces/") and path.lower().endswith("/query"):
            # The Log Analytics query API versions itself in the path, not with api-version.
            return self._logs(body) if method == "POST" else error(405, "MethodNotAllowed", "Log Analytics queries are POST requests")
        if "api-version" not in params:
            return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        if path.lower() == "/api/events":
            return self._topic(method, headers, body)
        if (chat := dataplane.PATH.match(path)) is not None:
            return self._chat(method, chat["deployment"], headers, token, body)
        principal = principal_of(token)[0]
        if path.lower() == "/providers/microsoft.resourcegraph/resources":
            if method != "POST":
                return error(405, "MethodNotAllowed", "Resource Graph queries are POST requests")
            verdict = self.throttle.graph(principal) if self.throttle else None
            if verdict is not None and not verdict.allowed:
                return _throttled(verdict.headers, "RateLimiting", "Please provide below info when asking for support: too many requests")
            answer = self._graph(body)
            answer.headers.update(verdict.headers if verdict else {})
            return answer
        clean = "/" + path.strip("/")
        verdict = self.throttle.arm(principal, split_id(clean)[0] or "tenant", method) if self.throttle else None
        if verdict is not None and not verdict.allowed:
            return _throttled(verdict.headers, "SubscriptionRequestsThrottled", "Number of requests for subscription exceeded the limit")
        answer = self._arm(method, clean, params, headers, body=body, token=token)
        answer.headers.update(verdict.headers if verdict else {})
        return answer

    def _chat(self, method: str, deployment: str, headers: Mapping[str, str], token: str, body: bytes) -> Response:
        """Azure OpenAI's data plane on an account's own host (canary probes)."""
        if method != "POST":
            return error(405, "MethodNotAllowed", "chat completions are POST requests")
        host = next((v for k, v in headers.items() if k.lower() == "host"), "")
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return error(400, "BadRequest", "The request content was not valid JSON.")
        status, answer = dataplane.chat_completions(self.estate, host, deployment, token, payload)
        return Response.json(status, answer)

    def _arm(self, method: str, path: str, params: dict[str, str], headers: Mapping[str, str], *, body: bytes, token: str) -> Response:
        self.writes.settle()
        lowered = path.lower()
        if method == "GET" and ("/operationstatuses/" in lowered or "/operationresults/" in lowered):
            return self._operation_poll(path)
        parts = lowered.strip("/").split("/")
        if method == "GET" and len(parts) == 4 and parts[0] == "subscriptions" and parts[2] == "providers":
            return self._provider(path.strip("/").split("/")[1], path.strip("/").split("/")[3])
        matched = self.catalog.match(method, path)
        if matched is None:
            return self._no_operation(method, path, params["api-version"])
        op, args = matched
        if not self._version_served(op, params["api-version"]):
            _, _, rtype, _ = split_id(path)
            return error(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for API version '{params['api-version']}' and type '{rtype}'. "
                f"The supported api-versions are '{op.api_version}'.",
            )
        for name, allowed in op.param_enums.items():
            value = args.get(name)
            if value is not None and value not in allowed:  # path segments are compared as sent
                return error(400, "InvalidParameter", f"'{value}' is not a valid {name}: expected one of {', '.join(allowed)}")
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
        hdr = {k.lower(): v for k, v in headers.items()}
        if op.body is not None and method in ("PUT", "PATCH", "POST"):
            if payload is None and method != "POST":
                return error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: no body.")
            moved = self._moves_location(method, path, payload)
            if moved is not None:
                return moved
            try:
                payload = op.body.clean(payload)
            except BodyRefused as e:
                return Response.json(400, {"error": {"code": "InvalidRequestContent", "message": e.message, "target": e.target}})
        call = _Call(op, method, path, params, hdr, token, hdr.get("x-ms-correlation-request-id") or str(uuid.uuid4()))
        if method == "GET":
            return self._get(call)
        if method == "HEAD":
            # API Management's GetEntityTag operations: the GET's status and the entity's ETag, no body.
            read = self._get(call)
            found = self.estate.get(path) or {}
            return Response(read.status, b"", {"ETag": str(found.get("etag") or new_etag())} if read.status == 200 else {})
        if method == "POST":
            return self._action(call, payload)
        return self._write(call, payload)

    def _moves_location(self, method: str, path: str, payload: Any) -> Response | None:
        """A PATCH cannot move a resource (ARM RPC: "a user can not change the location, type or name of
        their resource with a PATCH call"; location is create-only): another region is refused rather
        than dropped with the other properties the update model lacks (a session pool's has no
        `location`). The same region, in any spelling, is accepted."""
        if method != "PATCH" or not isinstance(payload, Mapping) or "location" not in payload:
            return None
        current = self.estate.get(path)
        if current is None or payload["location"] is None:
            return None

        def region(value: Any) -> str:
            return str(value).replace(" ", "").lower()

        if region(payload["location"]) == region(current.get("location", "")):
            return None
        return error(
            400,
            "InvalidRequestContent",
            f"The location of resource '{current.get('name')}' cannot be changed from '{current.get('location')}' "
            f"to '{payload['location']}' with a PATCH: a resource keeps the region it was created in.",
        )

    def _version_served(self, op: Operation, version: str) -> bool:
        if version == op.api_version:
            return True
        namespace = op.resource_type.split("/", 1)[0].lower()
        served = PROVIDERS.get(namespace, ("", {}))[1]
        return any(version in versions for versions in served.values())

    def _no_operation(self, method: str, path: str, version: str) -> Response:
        """What Azure answers for an operation it does not have: another method of a known path is
        405; an action or type the provider does not declare is a 400 naming it, as ARM does for a
        resource type it cannot find in the namespace."""
        methods = self.catalog.methods_for(path)
        if methods:
            return error(
                405, "MethodNotAllowed", f"The requested resource does not support http method '{method}' (it takes {', '.join(methods)})."
            )
        _, _, rtype, _ = split_id(path)
        namespace, _, rest = rtype.partition("/")
        tail = path.rstrip("/").rsplit("/", 1)[-1]
        kind = f"{rest}/{tail}" if method == "POST" and not rest.endswith(tail) else rest
        return error(
            400,
            "InvalidResourceType",
            f"The resource type '{kind}' could not be found in the namespace '{namespace}' for api version '{version}'.",
        )

    # --- Event Grid custom topic ----------------------------------------------------------------------

    def _topic(self, method: str, headers: Mapping[str, str], body: bytes) -> Response:
        """A custom topic's publish endpoint (CloudEvents 1.0 batches): what subscribers would get."""
        if method != "POST":
            return error(405, "MethodNotAllowed", "publish with POST")
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if not content_type.lower().startswith("application/cloudevents-batch+json"):
            return error(400, "BadRequest", f"this topic takes CloudEvents batches, not {content_type or 'no content type'}")
        try:
            batch = json.loads(body)
        except ValueError:
            return error(400, "BadRequest", "the body is not JSON")
        if not isinstance(batch, list) or not batch:
            return error(400, "BadRequest", "a batch is a non-empty JSON array")
        for event in batch:
            missing = [k for k in ("specversion", "id", "source", "type") if not isinstance(event, dict) or not event.get(k)]
            if missing or event.get("specversion") != "1.0":
                return error(400, "BadRequest", f"not a CloudEvent 1.0: missing {', '.join(missing) or 'specversion 1.0'}")
        with self._lock:
            self.topic_events.extend(batch)
        return Response(200, b"", {})

    # --- ARM writes ----------------------------------------------------------------------------------

    def _write(self, call: _Call, payload: Any) -> Response:
        op, method, path, hdr, token, correlation = call.op, call.method, call.path, call.hdr, call.token, call.correlation
        existing = self.estate.get(path)
        if_match = hdr.get("if-match")
        # Only operations that declare If-Match honour it; elsewhere the header is ignored, as it is by
        # providers whose specs do not declare it (a stale write is not stopped by a 412 there).
        if op.if_match and if_match and if_match != "*" and (existing is None or existing.get("etag") != if_match):
            return error(412, "PreconditionFailed", "The specified precondition 'If-Match' failed: the resource changed.")
        target = existing if existing is not None else self._embedded(path)
        if target is not None and self.writes.busy(path):
            return error(409, "AnotherOperationInProgress", "Another operation is in progress on this resource.")
        if "/privateendpointconnections/" in path.lower():
            return self._write_connection(call, payload)
        _, _, rtype, name = split_id(path)
        if method == "DELETE":
            return self._delete(call, existing)
        if not isinstance(payload, dict):
            return error(400, "InvalidRequestContent", "the request body must be a JSON object")
        if method == "PATCH":
            if existing is None:
                return self._not_found(path)
            # A JSON merge patch (session pools) removes what it sends as null; the other providers take a
            # null as "not sent". Objects merge key by key either way: a `registryCredentials` sent with
            # `passwordSecretRef` keeps the `identity` it had unless the PATCH sends `"identity": null`.
            resource = merge_patch(existing, payload if op.merge_patch else without_nulls(payload))
        else:
            resource = copy.deepcopy(payload)
            if existing is not None:
                # PUT replaces what the caller may set; what the service alone sets stays its own.
                _keep_read_only(op.body, existing, resource)
        resource["id"] = existing["id"] if existing else path
        resource["name"] = existing["name"] if existing else name
        resource["type"] = existing["type"] if existing else rtype
        resource["etag"] = new_etag()
        props = resource.setdefault("properties", {})
        if rtype.lower() == "microsoft.authorization/roleassignments":
            props["scope"] = resource["id"][: resource["id"].lower().rindex("/providers/microsoft.authorization/")] or "/"
        refused = _provider_rule(resource, payload)
        if refused is not None:
            return refused
        _settle_identity(resource)
        tracked = _tracks_provisioning(op.body, existing)
        created = existing is None
        status = 201 if created and method == "PUT" and 201 in op.statuses else 200
        if not op.lro:
            if tracked:
                props["provisioningState"] = "Succeeded"
            self.estate.put(resource)
            self.writes.emit("Write", resource["id"], f"{resource['type']}/write", token, correlation)
            return Response.json(status, _as_read(resource))
        # A long-running operation: until it completes, a read shows the resource as it was, being
        # updated (or being created); the change and its event land at completion.
        final: JSON = copy.deepcopy(resource)
        final.setdefault("properties", {})["provisioningState"] = "Succeeded"
        # The answer describes what was asked for, being applied; reads show the old state being updated.
        accepted = copy.deepcopy(resource)
        accepted.setdefault("properties", {})["provisioningState"] = "Creating" if created else "Updating"
        showing = copy.deepcopy(existing) if existing is not None else copy.deepcopy(accepted)
        showing.setdefault("properties", {})["provisioningState"] = "Creating" if created else "Updating"
        self.estate.put(showing)

        def finish() -> JSON | None:
            self.estate.put(final)
            return final

        return self._accepted(
            call, accepted, finish, status=status, event=("Write", final["id"], f"{final['type']}/write", token, correlation)
        )

    def _delete(self, call: _Call, existing: JSON | None) -> Response:
        op, path, token, correlation = call.op, call.path, call.token, call.correlation
        if existing is None:
            return Response(204) if 204 in op.statuses else Response(200)
        if not op.lro:
            self.estate.delete(path)
            self.writes.emit("Delete", existing["id"], f"{existing['type']}/delete", token, correlation)
            return Response.json(200, _as_read(existing))

        def finish() -> JSON | None:
            self.estate.delete(path)
            return None

        return self._accepted(
            call, existing, finish, status=202, event=("Delete", existing["id"], f"{existing['type']}/delete", token, correlation)
        )

    def _accepted(
        self, call: _Call, showing: JSON, finish: Any, *, status: int, event: tuple[str, str, str, str, str], path: str = ""
    ) -> Response:
        """The first answer of a long-running operation, as its spec declares it: `final-state-via:
        azure-async-operation` answers 200/201 with `Azure-AsyncOperation`; `location` answers 202
        with `Location`; otherwise 202 with both, or the first status the operation declares."""
        op, params, hdr = call.op, call.params, call.hdr
        path = path or call.path
        operation = self.writes.start_operation(path, finish, delay_s=self.lro_delay_s, announce=lambda: self.writes.emit(*event))
        sub, _, rtype, _ = split_id(path)
        holder = self.estate.get(path) or showing
        location = str(holder.get("location") or "global").replace(" ", "").lower()
        base = f"https://{hdr.get('host', 'management.simulator.local')}/subscriptions/{sub}/providers/{rtype.split('/')[0]}/locations/{location}"
        version = params.get("api-version")
        status_url = f"{base}/operationStatuses/{operation}?api-version={version}"
        result_url = f"{base}/operationResults/{operation}?api-version={version}"
        retry = {"Retry-After": "1" if self.lro_delay_s >= 1 else "0"}
        if op.final_state_via == "azure-async-operation" and status in op.statuses:
            return Response.json(status, _as_read(showing), {"Azure-AsyncOperation": status_url, **retry})
        if op.final_state_via == "location" and 202 in op.statuses:
            return Response(202, b"", {"Location": result_url, **retry})
        if 202 in op.statuses:
            return Response(202, b"", {"Azure-AsyncOperation": status_url, "Location": result_url, **retry})
        return Response.json(op.statuses[0], _as_read(showing), {"Azure-AsyncOperation": status_url, **retry})

    def _operation_poll(self, path: str) -> Response:
        """Azure-AsyncOperation answers 200 with the operation's status; Location answers 202 while it
        runs and 200 with the result (204 when there is none) once done."""
        operation_id = path.rstrip("/").rsplit("/", 1)[-1]
        found = self.writes.operation(operation_id)
        if found is None:
            return error(404, "OperationNotFound", "no such operation")
        if "/operationstatuses/" in path.lower():
            return Response.json(200, {"id": path, "name": operation_id, "status": found.status})
        if found.status == "InProgress":
            return Response(202, b"", {"Location": path, "Retry-After": "1" if self.lro_delay_s >= 1 else "0"})
        return Response(204) if found.result is None else Response.json(200, _as_read(found.result))

    def _embedded(self, path: str) -> JSON | None:
        if "/privateendpointconnections/" not in path.lower():
            return None
        parent_path, _, name = path.rpartition("/privateEndpointConnections/")
        parent = self.estate.get(parent_path) or {}
        return next(
            (
                c
                for c in parent.get("properties", {}).get("privateEndpointConnections", [])
                if str(c.get("name", "")).lower() == name.lower()
            ),
            None,
        )

    def _write_connection(self, call: _Call, payload: Any) -> Response:
        op, method, path, token, correlation = call.op, call.method, call.path, call.token, call.correlation
        """Private endpoint connections live inside their parent's properties, as ARM returns them."""
        parent_path, _, name = path.rpartition("/privateEndpointConnections/")
        parent = self.estate.get(parent_path)
        if parent is None:
            return self._not_found(parent_path)
        if method != "PUT":
            return error(501, "NotImplementedInSimulator", f"the simulator does not implement {op.id}")
        connections = parent.get("properties", {}).get("privateEndpointConnections", [])
        index = next((i for i, c in enumerate(connections) if str(c.get("name", "")).lower() == name.lower()), None)
        if index is None:
            return self._not_found(path)
        updated: JSON = copy.deepcopy(connections[index])
        updated["properties"] = merge_patch(updated.get("properties", {}), (payload or {}).get("properties", {}))
        event = ("Write", updated["id"], f"{parent['type']}/privateEndpointConnections/write", token, correlation)

        def finish() -> JSON | None:
            current = self.estate.get(parent_path)
            if current is None:
                return None
            for i, c in enumerate(current["properties"].get("privateEndpointConnections", [])):
                if str(c.get("name", "")).lower() == name.lower():
                    current["properties"]["privateEndpointConnections"][i] = updated
            current["etag"] = new_etag()
            self.estate.put(current)
            return updated

        if not op.lro:
            finish()
            self.writes.emit(*event)
            return Response.json(200, updated)
        return self._accepted(call, updated, finish, status=200, event=event, path=parent_path)

    def _action(self, call: _Call, payload: Any) -> Response:
        op, path, token, correlation = call.op, call.path, call.token, call.correlation
        """POST actions: the key operations each provider has (and no other's)."""
        action = next(seg for seg in reversed(op.template.split("/")) if seg and not seg.startswith("{"))
        parent_path = path[: path.lower().rindex("/" + action.lower())]
        resource = self.estate.get(parent_path)
        if resource is None:
            return self._not_found(parent_path)
        rtype = str(resource["type"]).lower()
        act = action.lower()
        keys = self.writes.keys(parent_path)
        if rtype == "microsoft.cognitiveservices/accounts" and act in ("listkeys", "regeneratekey"):
            if resource.get("properties", {}).get("disableLocalAuth") is True:
                return error(400, "BadRequest", LOCAL_AUTH_OFF)
            if act == "regeneratekey":
                keys[str(payload["keyName"]).lower()] = secrets.token_hex(16)
            answer = Response.json(200, {"key1": keys["key1"], "key2": keys["key2"]})
        elif rtype == "microsoft.search/searchservices" and act in ("listadminkeys", "regenerateadminkey"):
            if act == "regenerateadminkey":
                keys["key1" if path.rstrip("/").rsplit("/", 1)[-1] == "primary" else "key2"] = secrets.token_hex(16)
            answer = Response.json(200, {"primaryKey": keys["key1"], "secondaryKey": keys["key2"]})
        elif rtype == "microsoft.search/searchservices" and act == "listquerykeys":
            answer = Response.json(200, {"value": [{"name": None, "key": keys["key1"][::-1]}]})
        elif rtype == "microsoft.storage/storageaccounts" and act in ("listkeys", "regeneratekey"):
            if act == "regeneratekey":
                keys[str(payload["keyName"]).lower()] = secrets.token_hex(16)
            listed = [{"keyName": k, "value": keys[k], "permissions": "FULL"} for k in ("key1", "key2")]
            answer = Response.json(200, {"keys": listed})
        elif rtype == "microsoft.machinelearningservices/workspaces" and act == "listkeys":
            answer = Response.json(
                200, {"userStorageKey": keys["key1"], "userStorageResourceId": resource.get("properties", {}).get("storageAccount")}
            )
        elif rtype == "microsoft.machinelearningservices/workspaces" and act == "resynckeys":
            answer = Response(200)
        else:
            return error(501, "NotImplementedInSimulator", f"the simulator does not implement {op.id}")
        self.writes.emit("Action", resource["id"], f"{resource['type']}/{action}/action", token, correlation)
        return answer

    # --- ARM reads ---------------------------------------------------------------------------------

    def _get(self, call: _Call) -> Response:
        op, path, params, headers = call.op, call.path, call.params, call.hdr
        lowered = path.lower()
        if op.id.startswith("RoleAssignments.list"):
            return self._role_assignments(path[: lowered.rindex("/providers/")], params.get("$filter", ""))
        if op.id.startswith("RoleDefinitions."):
            return self._role_definitions(path)
        if not op.template.endswith("}"):
            return self._list(path, params, headers)
        found = self.estate.get(path)
        if found is not None:
            return Response.json(200, _as_read(found))
        embedded = self._embedded(path) or self._built_in_rai_policy(path)
        return Response.json(200, embedded) if embedded is not None else self._not_found(path)

    def _built_in_rai_policy(self, path: str) -> JSON | None:
        """Microsoft.Default / Microsoft.DefaultV2 of an existing account: Azure serves them, nobody creates them."""
        at = path.lower().rfind("/raipolicies/")
        parent, name = path[:at], path[at + len("/raiPolicies/") :]
        if at < 0 or not _RAI_PARENT.search(parent):
            return None
        wanted = next((n for n in builders.BUILT_IN_RAI_POLICIES if n.lower() == name.lower()), None)
        account = self.estate.get(parent) if wanted else None
        return builders.built_in_rai_policy(str(account["id"]), wanted) if account is not None and wanted else None

    def _list(self, path: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        parts = path.strip("/").split("/")
        low = [p.lower() for p in parts]
        i = len(low) - 1 - low[::-1].index("providers")
        scope, rest = "/".join(["", *parts[:i]]), parts[i + 1 :]
        if rest[-1].lower() == "privateendpointconnections":
            holder = self.estate.get("/".join([scope, "providers", *rest[:-1]]))
            if holder is None:
                return self._not_found(path)
            return Response.json(200, {"value": holder.get("properties", {}).get("privateEndpointConnections", [])})
        # .../providers/{ns}/{type}[/{name}/{childType}]: a collection
        parent = scope if len(rest) == 2 else "/".join([scope, "providers", *rest[:-1]])
        full_type = "/".join([rest[0], *rest[1::2]])
        # Location-scoped catalogs (locations/{loc}/...) have no parent resource to look up.
        if len(rest) > 2 and rest[1].lower() != "locations" and self.estate.get(parent) is None:
            return self._not_found(parent)
        items = [_as_read(i) for i in self.estate.children(parent, full_type)]
        if full_type.lower() == "microsoft.cognitiveservices/accounts/raipolicies":
            account = self.estate.get(parent)
            custom = {str(i.get("name", "")).lower() for i in items}
            if account is not None:
                items += [
                    builders.built_in_rai_policy(str(account["id"]), n) for n in builders.BUILT_IN_RAI_POLICIES if n.lower() not in custom
                ]
        skip = int(params.get("$skiptoken", "0") or 0)
        listed: JSON = {"value": items[skip : skip + self.list_page_size]}
        if skip + self.list_page_size < len(items):
            host = headers.get("host", "management.azure.com")
            listed["nextLink"] = f"https://{host}{path}?api-version={params['api-version']}&$skiptoken={skip + self.list_page_size}"
        return Response.json(200, listed)

    def _provider(self, subscription: str, namespace: str) -> Response:
        """A resource provider's registration (Providers - Get): the types it serves and their
        api-versions. Tools that pick an api-version per type (Cloud Custodian) read it first."""
        types = PROVIDERS.get(namespace.lower())
        if types is None:
            return error(404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
        canonical, versions = types
        return Response.json(
            200,
            {
                "id": f"/subscriptions/{subscription}/providers/{canonical}",
                "namespace": canonical,
                "registrationState": "Registered",
                "resourceTypes": [
                    {"resourceType": rtype, "locations": ["East US", "Sweden Central", "West Europe"], "apiVersions": list(api)}
                    for rtype, api in versions.items()
                ],
            },
        )

    def _not_found(self, resource_id: str) -> Response:
        _, _, rtype, name = split_id(resource_id)
        return error(404, "ResourceNotFound", f"The Resource '{rtype}/{name}' under resource group was not found.")

    def _role_assignments(self, scope: str, filter_text: str) -> Response:
        scope_l = scope.lower().rstrip("/") or "/"
        at_scope = "atscope()" in filter_text.lower()
        m = re.search(r"principalId\s+eq\s+'([^']+)'", filter_text, re.I)
        principal = m.group(1).lower() if m else None
        if filter_text and not at_scope and principal is None:
            return error(400, "InvalidFilter", f"unsupported $filter {filter_text!r}: use atScope() or principalId eq '...'")
        out = []
        for r in self.estate.raw_items():
            if str(r["type"]).lower() != "microsoft.authorization/roleassignments":
                continue
            a_scope = str(r["properties"]["scope"]).lower().rstrip("/") or "/"
            above = a_scope in ("/", scope_l) or scope_l.startswith(a_scope + "/")
            below = a_scope.startswith(scope_l + "/")
            if at_scope and not above:
                continue
            if not at_scope and not (above or below):
                continue
            if principal and str(r["properties"]["principalId"]).lower() != principal:
                continue
            out.append(r)
        return Response.json(200, {"value": json.loads(json.dumps(out))})

    def _role_definitions(self, path: str) -> Response:
        """Built-in roles answer at every scope, the tenant's included; a custom role answers only at
        the scopes it is assignable at and below (RoleDefinitions_Get / GetById): a custom role is not at
        `/providers/Microsoft.Authorization/roleDefinitions/{id}`."""
        lowered = path.lower()
        scope, _, tail = lowered.rpartition("/providers/microsoft.authorization/roledefinitions")
        tail = tail.strip("/")
        scope = scope.rstrip("/")
        visible = []
        for d in self.estate.raw_items():
            if str(d["type"]).lower() != "microsoft.authorization/roledefinitions":
                continue
            props = d.get("properties") or {}
            if str(props.get("type", "")).lower() != "builtinrole":
                assignable = [str(s).lower().rstrip("/") for s in props.get("assignableScopes") or []]
                if not scope or not any(scope == a or scope.startswith(a + "/") for a in assignable):
                    continue
            visible.append(d)
        if not tail:
            return Response.json(200, {"value": json.loads(json.dumps(visible))})
        for d in visible:
            if str(d["name"]).lower() == tail:
                return Response.json(200, json.loads(json.dumps(d)))
        return error(404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{tail}' does not exist.")

    # --- Microsoft Graph (the directory) ------------------------------------------------------------------

    def _graph_directory(self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> Response:
        lowered = path.lower().rstrip("/")
        if method == "POST" and lowered == "/v1.0/directoryobjects/getbyids":
            ids = list((json.loads(body or b"{}") or {}).get("ids") or [])
            if len(ids) > 1000:
                return error(400, "Request_BadRequest", "getByIds takes at most 1000 ids")
            return Response.json(200, {"value": self.directory.by_ids(ids)})
        user = re.fullmatch(r"/v1\.0/users/([^/]+)", lowered)
        if method == "GET" and user:
            # Graph's user by object id or by userPrincipalName (how the Activity Log names a user).
            key = unquote(user.group(1))
            found = next((o for i, o in self.directory.objects.items() if o.get("userPrincipalName", "").lower() == key or i == key), None)
            if found is None or "userPrincipalName" not in found:
                return error(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist")
            return Response.json(200, json.loads(json.dumps(found)))
        m = re.fullmatch(r"/v1\.0/groups/([^/]+)/transitivemembers", lowered)
        if method == "GET" and m:
            members = self.directory.transitive(m.group(1))
            skip = int(params.get("$skiptoken", "0") or 0)
            page = members[skip : skip + 999]
            payload: JSON = {"value": [{"@odata.type": self.directory.objects.get(i, {}).get("@odata.type"), "id": i} for i in page]}
            if skip + 999 < len(members):
                host = next((v for k, v in headers.items() if k.lower() == "host"), "graph.simulator.local")
                payload["@odata.nextLink"] = (
                    f"https://{host}/v1.0/groups/{m.group(1)}/transitiveMembers?$select=id&$top=999&$skiptoken={skip + 999}"
                )
            return Response.json(200, payload)
        return error(400, "Request_UnsupportedQuery", f"the simulator does not serve Graph {method} {path}")

    # --- Log Analytics ---------------------------------------------------------------------------------

    def _logs(self, body: bytes) -> Response:
        """Answers DriftGuard's named queries (their first line is `// driftguard: <name>`) from the
        activity the simulator recorded; any other query is refused, never answered wrongly."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return error(400, "BadArgumentError", "the request body is not JSON")
        text = str(request.get("query", ""))
        first = text.strip().splitlines()[0] if text.strip() else ""
        name = first.removeprefix("// driftguard:").strip() if first.startswith("// driftguard:") else ""
        records = self.writes.activity
        if name == "activity-freshness":
            latest = max((r["TimeGenerated"] for r in records), default=None)
            return self._logs_table([("data_through", "datetime")], [[_iso(latest)]])
        if name == "assignment-activity":
            last: dict[tuple[str, str, str], datetime] = {}
            for r in records:
                key = (str(r["roleAssignmentId"]).lower(), str(r["Caller"]).lower(), str(r["_ResourceId"]).lower())
                last[key] = max(last.get(key, r["TimeGenerated"]), r["TimeGenerated"])
            rows = [[k[0], k[1], k[2], _iso(t)] for k, t in sorted(last.items())]
            return self._logs_table(
                [("roleAssignmentId", "string"), ("caller", "string"), ("resource", "string"), ("last_activity", "datetime")], rows
            )
        if name == "key-actions":
            return self._logs_key_actions(text, records)
        if name == "recent-changes":
            # Every record the simulator keeps is an Administrative operation that succeeded.
            hours = re.search(r"ago\((\d+)h\)", text)
            take = re.search(r"take\s+(\d+)", text)
            since = self.writes.clock() - timedelta(hours=int(hours.group(1)) if hours else 24)
            recent = sorted((r for r in records if r["TimeGenerated"] > since), key=lambda r: r["TimeGenerated"], reverse=True)
            rows = [
                [_iso(r["TimeGenerated"]), str(r["_ResourceId"]).lower(), r["Caller"], r["OperationNameValue"], r.get("CorrelationId", "")]
                for r in recent[: int(take.group(1)) if take else None]
            ]
            return self._logs_table(
                [
                    ("TimeGenerated", "datetime"),
                    ("resource", "string"),
                    ("caller", "string"),
                    ("operation", "string"),
                    ("correlation_id", "string"),
                ],
                rows,
            )
        return error(400, "BadArgumentError", f"the simulator answers only DriftGuard's named queries, not {first[:80]!r}")

    def _logs_key_actions(self, text: str, records: list[JSON]) -> Response:
        """The records since `since`, grouped by the correlation id of each success on the resource among
        those asked for ('' for the rest), with the newest time of each group."""
        resource = re.search(r"let resource = tolower\('([^']*)'\);", text)
        wanted = re.search(r"let correlations = dynamic\(\[([^\]]*)\]\);", text)
        since = re.search(r"TimeGenerated >= datetime\(([^)]+)\)", text)
        if not (resource and wanted and since):
            return error(400, "BadArgumentError", "the key-actions query is missing its resource, correlations or time")
        rid = resource.group(1).lower()
        correlations = {c.strip().strip("'").lower() for c in wanted.group(1).split(",") if c.strip()}
        start = datetime.fromisoformat(since.group(1).replace("Z", "+00:00"))
        groups: dict[str, datetime] = {}
        for r in records:
            when: datetime = r["TimeGenerated"]
            if when < start:
                continue
            hit = str(r["_ResourceId"]).lower() == rid and str(r.get("CorrelationId", "")).lower() in correlations
            landed = str(r["CorrelationId"]).lower() if hit and r.get("ActivityStatusValue") == "Success" else ""
            groups[landed] = max(groups.get(landed, when), when)
        rows: list[list[Any]] = [[k, _iso(t)] for k, t in sorted(groups.items())]
        return self._logs_table([("landed", "string"), ("data_through", "datetime")], rows)

    @staticmethod
    def _logs_table(columns: list[tuple[str, str]], rows: list[list[Any]]) -> Response:
        return Response.json(
            200, {"tables": [{"name": "PrimaryResult", "columns": [{"name": n, "type": t} for n, t in columns], "rows": rows}]}
        )

    # --- Resource Graph ----------------------------------------------------------------------------

    def _graph(self, body: bytes) -> Response:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return error(400, "BadRequest", "the request body is not JSON")
        options = request.get("options") or {}
        token = options.get("$skipToken")
        if token:
            rows = self._pages.get(str(token).split(".")[0])
            if rows is None:
                return error(400, "InvalidSkipToken", "the $skipToken is unknown or expired")
            offset = int(json.loads(base64.urlsafe_b64decode(str(token).split(".")[1]))["offset"])
        else:
            try:
                query = kql.parse(str(request.get("query", "")))
            except kql.KqlError as e:
                return error(
                    400,
                    "BadRequest",
                    f"Please provide below info when asking for support: the simulator does not understand this query: {e}",
                )
            subs = self._scope_subscriptions(request)
            if subs is None:
                return error(400, "BadRequest", "the request names an unknown management group")
            rows = query.run(self._table(query.table, subs))
            offset = 0
        top = min(int(options.get("$top", PAGE)), PAGE)
        page = rows[offset : offset + top]
        payload: JSON = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "facets": [],
            "data": page,
        }
        if offset + top < len(rows):
            key = token.split(".")[0] if token else uuid.uuid4().hex
            self._pages[key] = rows
            payload["$skipToken"] = key + "." + base64.urlsafe_b64encode(json.dumps({"offset": offset + top}).encode()).decode()
        elif token:
            self._pages.pop(str(token).split(".")[0], None)
        return Response.json(200, payload)

    def _scope_subscriptions(self, request: Mapping[str, Any]) -> set[str] | None:
        subs = {s.lower() for s in request.get("subscriptions") or []}
        for mg in request.get("managementGroups") or []:
            members = self.management_groups.get(str(mg).lower())
            if members is None:
                return None
            subs.update(s.lower() for s in members)
        return subs

    def _table(self, table: str, subs: set[str]) -> list[JSON]:
        out = []
        for r in self.estate.raw_items():
            rid = str(r["id"])
            sub, rg, rtype, _ = split_id(rid)
            if subs and sub.lower() not in subs:
                continue
            if in_graph_table(table, rtype):
                out.append(graph_row(_as_read(r), sub, rg))
        return out


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def graph_row(resource: Mapping[str, Any], sub: str, rg: str) -> JSON:
    """A resource as Resource Graph returns it: type and resource group lower-cased, every column present."""
    return {
        "id": resource["id"],
        "name": resource.get("name"),
        "type": str(resource["type"]).lower(),
        "tenantId": resource.get("tenantId", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        "kind": resource.get("kind", ""),
        "location": str(resource.get("location", "")).replace(" ", "").lower(),
        "resourceGroup": rg.lower(),
        "subscriptionId": sub,
        "managedBy": resource.get("managedBy", ""),
        "sku": resource.get("sku"),
        "plan": resource.get("plan"),
        "properties": resource.get("properties"),
        "tags": resource.get("tags"),
        "identity": resource.get("identity"),
        "zones": resource.get("zones"),
        "extendedLocation": resource.get("extendedLocation"),
    }


@dataclass(frozen=True)
class _Call:
    """One ARM request matched to its operation."""

    op: Operation
    method: str
    path: str
    params: Mapping[str, str]
    hdr: Mapping[str, str]
    token: str
    correlation: str


def _throttled(headers: Mapping[str, str], code: str, message: str) -> Response:
    return Response.json(429, {"error": {"code": code, "message": message}}, headers)


def _keep_read_only(schema: Schema | None, existing: Mapping[str, Any], resource: JSON) -> None:
    """Copies into a PUT's result what only the service sets (read-only in the body's model)."""
    keep: list[tuple[str, ...]] = [("systemData",)]
    if schema is not None:
        keep += list(schema.read_only_paths())
    for path in keep:
        value: Any = existing
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is None:
            continue
        node = resource
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else {}
        node[path[-1]] = copy.deepcopy(value)


def _as_read(resource: JSON) -> JSON:
    """What a read shows of a stored resource: never what its model marks write-only (`spec.as_read`)."""
    return as_read(resource)


def _provider_rule(resource: JSON, payload: Mapping[str, Any]) -> Response | None:
    """Constraints a provider enforces beyond its models, on the resource a write would leave.

    AI Search (search 2025-05-01 spec and its examples): `authOptions` cannot be sent with
    `disableLocalAuth: true`; `disableLocalAuth: true` alone clears them (Microsoft's example
    SearchUpdateServiceDisableLocalAuth answers `"authOptions": null`). The free tier has no managed
    identity (Search docs: managed identities need the Basic tier or higher), and a tier never
    changes in place."""
    if str(resource.get("type", "")).lower() != "microsoft.search/searchservices":
        return None
    props = resource.setdefault("properties", {})
    sent_props = payload.get("properties")
    sent: Mapping[str, Any] = sent_props if isinstance(sent_props, Mapping) else {}
    if props.get("disableLocalAuth") is True:
        if sent.get("authOptions") is not None:
            return error(400, "InvalidRequestContent", "'authOptions' cannot be set when 'disableLocalAuth' is true.")
        props["authOptions"] = None
    sku = str((resource.get("sku") or {}).get("name") or "").lower()
    kind = str((resource.get("identity") or {}).get("type") or "None")
    if sku == "free" and kind.lower() != "none":
        return error(
            400,
            "FeatureNotSupportedForSku",
            "Managed identity is not supported for search services on the 'free' SKU: use the Basic tier or higher.",
        )
    return None


def _settle_identity(resource: JSON) -> None:
    """The identity as the service keeps it: `None` holds nothing; a system-assigned identity gets its
    principal (the service creates it); user-assigned identities only while the type names them."""
    identity = resource.get("identity")
    if not isinstance(identity, dict):
        return
    kind = str(identity.get("type") or "None").lower().replace(" ", "")
    if kind == "none":
        resource["identity"] = {"type": "None"}
        return
    if "systemassigned" in kind:
        identity.setdefault("principalId", str(uuid.uuid4()))
        identity.setdefault("tenantId", TENANT)
    else:
        identity.pop("principalId", None)
        identity.pop("tenantId", None)
    if "userassigned" not in kind:
        identity.pop("userAssignedIdentities", None)


def _tracks_provisioning(schema: Schema | None, existing: Mapping[str, Any] | None) -> bool:
    """Whether the resource reports a provisioning state (its model has one, or it already did)."""
    if existing is not None and "provisioningState" in (existing.get("properties") or {}):
        return True
    props = schema.fields.get("properties") if schema is not None else None
    return props is not None and isinstance(props.type, Schema) and "provisioningState" in props.type.fields
