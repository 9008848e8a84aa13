"""The simulator's one core: a request in, a response out, over an `Estate`.

It speaks ARM's wire format (as the Microsoft examples show it): `{"value": [...]}` lists, the
`{"error": {"code", "message"}}` envelope, a required `api-version`, bearer tokens; and Resource Graph's
`POST /providers/Microsoft.ResourceGraph/resources` with 1,000-row pages and `$skipToken`.
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
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from simulator import kql
from simulator.directory import Directory
from simulator.state import JSON, Estate, split_id
from simulator.writes import KEY_ACTIONS, LRO_TYPES, WriteSide, merge_patch, new_etag

PAGE = 1000


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    api_version: str | None
    status: int

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
PROVIDERS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "microsoft.cognitiveservices": (
        "Microsoft.CognitiveServices",
        {"accounts": ("2025-09-01", "2024-10-01", "2023-05-01"), "accounts/deployments": ("2025-09-01", "2024-10-01", "2023-05-01")},
    ),
    "microsoft.machinelearningservices": ("Microsoft.MachineLearningServices", {"workspaces": ("2025-06-01", "2024-10-01")}),
    "microsoft.search": ("Microsoft.Search", {"searchServices": ("2025-05-01", "2024-06-01-preview", "2023-11-01")}),
    "microsoft.storage": ("Microsoft.Storage", {"storageAccounts": ("2025-06-01", "2024-01-01", "2023-05-01")}),
}


def error(status: int, code: str, message: str) -> Response:
    return Response.json(status, {"error": {"code": code, "message": message}})


class Simulator:
    def __init__(self, estate: Estate | None = None, *, management_groups: Mapping[str, list[str]] | None = None) -> None:
        self.estate = estate or Estate()
        self.management_groups = {k.lower(): list(v) for k, v in (management_groups or {}).items()}
        self.directory = Directory()
        self.writes = WriteSide(self.estate, directory=self.directory)
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        # CloudEvents published to the custom topic endpoint (/api/events), in arrival order.
        self.topic_events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._pages: dict[str, list[JSON]] = {}
        # ARM pages long lists with `nextLink`; a test lowers this to make every client follow it.
        self.list_page_size = 1000

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
            return Response.json(200, {"graph_calls": graph, "arm_calls": arm, "directory_calls": directory, "logs_calls": logs})
        if path == "/_simulator/reset":
            self.reset_log()
            return Response.json(200, {})
        params = {k.lower(): v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        response = self._dispatch(method, path, params, headers, body)
        with self._lock:
            self.requests.append(RecordedRequest(method, path, params.get("api-version"), response.status))
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
        if path.lower().startswith("/v1.0/"):
            return self._graph_directory(method, path, params, headers, body)
        if path.lower().startswith("/v1/workspaces/") and path.lower().endswith("/query"):
            # The Log Analytics query API versions itself in the path, not with api-version.
            return self._logs(body) if method == "POST" else error(405, "MethodNotAllowed", "Log Analytics queries are POST requests")
        if "api-version" not in params:
            return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        if path.lower() == "/api/events":
            return self._topic(method, headers, body)
        if path.lower() == "/providers/microsoft.resourcegraph/resources":
            if method != "POST":
                return error(405, "MethodNotAllowed", "Resource Graph queries are POST requests")
            return self._graph(body)
        if method == "GET":
            if "/operationresults/" in path.lower():
                status = self.writes.operation_status(path.rstrip("/").rsplit("/", 1)[-1])
                return Response.json(200, status) if status else error(404, "OperationNotFound", "no such operation")
            return self._get(path, params, headers)
        if method in ("PUT", "PATCH", "POST", "DELETE"):
            return self._write(method, "/" + path.strip("/"), params, headers, body, token=auth[7:].strip())
        return error(405, "MethodNotAllowed", f"the simulator does not support {method} {path}")

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

    def _write(self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes, *, token: str) -> Response:
        hdr = {k.lower(): v for k, v in headers.items()}
        correlation = hdr.get("x-ms-correlation-request-id") or str(uuid.uuid4())
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return error(400, "InvalidRequestContent", "the request body is not JSON")
        if method == "POST":
            return self._action(path, payload, token, correlation)
        existing = self.estate.get(path)
        if_match = hdr.get("if-match")
        if if_match and if_match != "*" and (existing is None or existing.get("etag") != if_match):
            return error(412, "PreconditionFailed", "The specified precondition 'If-Match' failed: the resource changed.")
        if existing is not None and self.writes.busy(path):
            return error(409, "AnotherOperationInProgress", "Another operation is in progress on this resource.")
        if "/privateendpointconnections/" in path.lower() and method == "PUT":
            return self._put_connection(path, payload, token, correlation)
        _, _, rtype, name = split_id(path)
        if method == "DELETE":
            if existing is None:
                return Response(204)
            self.estate.delete(path)
            self.writes.emit("Delete", existing["id"], f"{existing['type']}/delete", token, correlation)
            return Response.json(200, existing)
        if not isinstance(payload, dict):
            return error(400, "InvalidRequestContent", "the request body must be a JSON object")
        if method == "PATCH":
            if existing is None:
                return self._not_found(path)
            resource = merge_patch(existing, payload)
        else:
            resource = copy.deepcopy(payload)
            if existing is not None and "systemData" in existing:
                resource["systemData"] = existing["systemData"]
        resource["id"] = existing["id"] if existing else path
        resource["name"] = existing["name"] if existing else name
        resource["type"] = existing["type"] if existing else rtype
        resource["etag"] = new_etag()
        props = resource.setdefault("properties", {})
        if rtype.lower() == "microsoft.authorization/roleassignments":
            props["scope"] = resource["id"][: resource["id"].lower().rindex("/providers/microsoft.authorization/")] or "/"
        lro = resource["type"].lower() in LRO_TYPES
        props["provisioningState"] = "Updating" if lro else "Succeeded"
        self.estate.put(resource)
        self.writes.emit("Write", resource["id"], f"{resource['type']}/write", token, correlation)
        if not lro:
            return Response.json(201 if existing is None and method == "PUT" else 200, resource)
        operation = self.writes.start_operation(resource["id"])
        sub, _, _, _ = split_id(resource["id"])
        location = str(resource.get("location", "global")).replace(" ", "").lower()
        host = hdr.get("host", "management.simulator.local")
        status_url = (
            f"https://{host}/subscriptions/{sub}/providers/{resource['type'].split('/')[0]}/locations/{location}"
            f"/operationResults/{operation}?api-version={params.get('api-version')}"
        )
        return Response.json(202, resource, {"Azure-AsyncOperation": status_url, "Location": status_url, "Retry-After": "0"})

    def _action(self, path: str, payload: Any, token: str, correlation: str) -> Response:
        parent, _, action = path.rpartition("/")
        resource = self.estate.get(parent)
        if resource is None:
            return self._not_found(parent)
        act = action.lower()
        if act not in KEY_ACTIONS:
            return error(400, "InvalidAction", f"the simulator does not support the action {action!r}")
        keys = self.writes.keys(parent)
        if act == "regeneratekey":
            name = str((payload or {}).get("keyName", "")).lower()
            if name not in ("key1", "key2"):
                return error(400, "InvalidKeyName", "keyName must be Key1 or Key2")
            keys[name] = secrets.token_hex(16)
        self.writes.emit("Action", resource["id"], f"{resource['type']}/{action}/action", token, correlation)
        if act == "listadminkeys":
            return Response.json(200, {"primaryKey": keys["key1"], "secondaryKey": keys["key2"]})
        return Response.json(200, {"key1": keys["key1"], "key2": keys["key2"]})

    def _put_connection(self, path: str, payload: Any, token: str, correlation: str) -> Response:
        """Private endpoint connections live inside their parent's properties, as ARM returns them."""
        parent_path, _, name = path.rpartition("/privateEndpointConnections/")
        parent = self.estate.get(parent_path)
        if parent is None:
            return self._not_found(parent_path)
        for conn in parent.get("properties", {}).get("privateEndpointConnections", []):
            if str(conn.get("name", "")).lower() == name.lower():
                conn["properties"] = merge_patch(conn.get("properties", {}), (payload or {}).get("properties", {}))
                parent["etag"] = new_etag()
                self.estate.put(parent)
                self.writes.emit("Write", conn["id"], f"{parent['type']}/privateEndpointConnections/write", token, correlation)
                return Response.json(200, conn)
        return self._not_found(path)

    # --- ARM reads ---------------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        clean = "/" + path.strip("/")
        lowered = clean.lower()
        if "/providers/microsoft.authorization/roleassignments" in lowered and lowered.endswith("/roleassignments"):
            return self._role_assignments(clean[: lowered.rindex("/providers/")], params.get("$filter", ""))
        if "/providers/microsoft.authorization/roledefinitions" in lowered:
            return self._role_definitions(clean)
        found = self.estate.get(clean)
        if found is not None:
            return Response.json(200, found)
        if "/privateendpointconnections/" in lowered:
            return self._get_connection(clean)
        parts = clean.strip("/").split("/")
        low = [p.lower() for p in parts]
        if "providers" not in low:
            return error(404, "NotFound", f"no route for {clean}")
        if len(low) == 4 and low[0] == "subscriptions" and low[2] == "providers":
            return self._provider(parts[1], parts[3])
        i = len(low) - 1 - low[::-1].index("providers")
        scope, rest = "/".join(["", *parts[:i]]), parts[i + 1 :]
        if len(rest) >= 2 and len(rest) % 2 == 0:
            # .../providers/{ns}/{type}[/{name}/{childType}]: a collection
            parent = scope if len(rest) == 2 else "/".join([scope, "providers", *rest[:-1]])
            full_type = "/".join([rest[0], *rest[1::2]])
            # Location-scoped catalogs (locations/{loc}/...) have no parent resource to look up.
            if len(rest) > 2 and rest[1].lower() != "locations" and self.estate.get(parent) is None:
                return self._not_found(parent)
            items = self.estate.children(parent, full_type)
            skip = int(params.get("$skiptoken", "0") or 0)
            listed: JSON = {"value": items[skip : skip + self.list_page_size]}
            if skip + self.list_page_size < len(items):
                host = next((v for k, v in headers.items() if k.lower() == "host"), "management.azure.com")
                listed["nextLink"] = f"https://{host}{clean}?api-version={params['api-version']}&$skiptoken={skip + self.list_page_size}"
            return Response.json(200, listed)
        return self._not_found(clean)

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

    def _get_connection(self, path: str) -> Response:
        """Private endpoint connections are embedded in their parent, and ARM also serves them alone."""
        parent_path, _, name = path.rpartition("/privateEndpointConnections/")
        parent = self.estate.get(parent_path)
        for conn in (parent or {}).get("properties", {}).get("privateEndpointConnections", []):
            if str(conn.get("name", "")).lower() == name.lower():
                return Response.json(200, conn)
        return self._not_found(path)

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
        lowered = path.lower()
        tail = lowered.rsplit("/providers/microsoft.authorization/roledefinitions", 1)[1].strip("/")
        defs = [r for r in self.estate.raw_items() if str(r["type"]).lower() == "microsoft.authorization/roledefinitions"]
        if not tail:
            return Response.json(200, {"value": json.loads(json.dumps(defs))})
        for d in defs:
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
        return error(400, "BadArgumentError", f"the simulator answers only DriftGuard's named queries, not {first[:80]!r}")

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
            namespace = rtype.split("/", 1)[0].lower()
            if table == "securityresources" and namespace != "microsoft.security":
                continue
            if table == "authorizationresources" and namespace != "microsoft.authorization":
                continue
            if table == "resources" and (
                namespace in ("microsoft.security", "microsoft.authorization", "microsoft.insights")
                and "/" in rtype
                and rtype.lower() != "microsoft.insights/components"
            ):
                continue
            out.append(graph_row(r, sub, rg))
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
