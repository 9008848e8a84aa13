"""Local stand-ins for the ticket systems, over HTTPS with a local CA, that check each request's shape
against that system's API (method, path, headers, authentication, body) and keep the tickets' state.
A request of the wrong shape is answered 400 and recorded in `violations`: tests assert there are none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

# The loopback host the stand-ins listen on, which sinks may reach only when it is named as a private host.
HOST = "127.0.0.1"
# A second name for it, on the stand-ins' certificate: tests answer for its DNS themselves.
ALIAS = "tickets.example"
TEAMS_SIG = "teams-signature-not-a-secret"  # a Workflows URL carries its signature in the query
HOOK_TOKEN = "hook-token-not-a-secret"  # a receiver may put its token in the URL
GITHUB_TOKEN = "ghp_test_token_not_a_secret"
ADO_PAT = "ado-pat-not-a-secret"
SNOW_USER, SNOW_PASSWORD = "driftguard", "snow-password-not-a-secret"
JIRA_EMAIL, JIRA_TOKEN = "secops@contoso.example", "jira-token-not-a-secret"
WEBHOOK_SECRET = "webhook-secret-not-a-secret"


CATEGORY = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}  # Jira status -> category


@dataclass
class Ticket:
    ref: str
    title: str
    body: Any
    state: str
    history: list[str] = field(default_factory=list)  # created, updated, closed, reopened


class Reject(Exception):
    pass


@dataclass(frozen=True)
class Raw:
    """An answer that is not JSON (a sign-in page, a redirect), given as it would come."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    headers: dict[str, str]


def need(condition: bool, message: str) -> None:
    if not condition:
        raise Reject(message)


class TicketSystems:
    def __init__(self, workdir: Path) -> None:
        self.lock = threading.Lock()
        self.violations: list[str] = []
        self.tickets: dict[str, dict[str, Ticket]] = {s: {} for s in ("github", "ado", "servicenow", "jira")}
        self.teams_cards: list[dict[str, Any]] = []
        self.webhooks: list[dict[str, Any]] = []
        self.fail_next: dict[str, int] = {}  # system -> how many requests to answer 503
        # system -> the answers to its next requests (None: serve that one as the API would), in order
        self.answer_next: dict[str, list[tuple[int, Raw] | None]] = {}
        self.received: list[Received] = []  # every request, as it arrived
        self.connections = 0  # TCP connections accepted: a refused destination gets none
        ca = trustme.CA()
        self.ca_file = str(workdir / "ticket-systems-ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(HOST, ALIAS).configure_cert(context)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = owner.handle(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
                given = (
                    answer if isinstance(answer, Raw) else Raw(b"" if answer is None else json.dumps(answer).encode(), "application/json")
                )
                self.send_response(status)
                self.send_header("Content-Type", given.content_type)
                self.send_header("Content-Length", str(len(given.body)))
                for name, value in given.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(given.body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                with owner.lock:
                    owner.connections += 1
                return True

        self.server = Server((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://{HOST}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TicketSystems:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- dispatch ---------------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        url = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.lock:
            self.received.append(Received(method, target, headers))
        routes: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
            ("POST", r"/teams/webhook", self.teams),
            ("POST", r"/github/repos/contoso/ai-security/issues", self.github_create),
            ("PATCH", r"/github/repos/contoso/ai-security/issues/(?P<ref>\d+)", self.github_update),
            ("POST", r"/ado/contoso/AI%20Security/_apis/wit/workitems/\$(?P<kind>[^/?]+)", self.ado_create),
            ("PATCH", r"/ado/contoso/AI%20Security/_apis/wit/workitems/(?P<ref>\d+)", self.ado_update),
            ("GET", r"/snow/api/now/table/incident", self.snow_find),
            ("POST", r"/snow/api/now/table/incident", self.snow_create),
            ("PATCH", r"/snow/api/now/table/incident/(?P<ref>\w+)", self.snow_update),
            ("POST", r"/jira/rest/api/3/issue", self.jira_create),
            ("PUT", r"/jira/rest/api/3/issue/(?P<ref>[A-Z]+-\d+)", self.jira_update),
            ("GET", r"/jira/rest/api/3/issue/(?P<ref>[A-Z]+-\d+)", self.jira_get),
            ("GET", r"/jira/rest/api/3/issue/(?P<ref>[A-Z]+-\d+)/transitions", self.jira_transitions),
            ("POST", r"/jira/rest/api/3/issue/(?P<ref>[A-Z]+-\d+)/transitions", self.jira_transition),
            ("POST", r"/hook", self.webhook),
        ]
        for verb, pattern, fn in routes:
            match = re.fullmatch(pattern, url.path)
            if match and verb == method:
                system = pattern.split("/")[1]
                with self.lock:
                    if self.fail_next.get(system, 0) > 0:
                        self.fail_next[system] -= 1
                        return 503, {"message": "simulated outage"}
                    scripted = self.answer_next[system].pop(0) if self.answer_next.get(system) else None
                    if scripted is not None:
                        return scripted
                    try:
                        body = json.loads(raw) if raw else None
                        return fn(headers=headers, query=query, body=body, raw=raw, **match.groupdict())
                    except (Reject, ValueError, KeyError, TypeError) as e:
                        self.violations.append(f"{method} {url.path}: {e}")
                        return 400, {"message": str(e)}
        with self.lock:
            self.violations.append(f"no such API: {method} {url.path}")
        return 404, {"message": "not found"}

    @staticmethod
    def basic(headers: dict[str, str]) -> tuple[str, str]:
        auth = headers.get("authorization", "")
        need(auth.startswith("Basic "), "HTTP Basic authentication expected")
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        return user, password

    # --- Teams ------------------------------------------------------------------------------------
    def teams(self, *, query: dict[str, str], body: Any, **_: Any) -> tuple[int, Any]:
        need(query.get("sig") == TEAMS_SIG, "the workflow URL's signature")
        need(body["type"] == "message", "type must be message")
        attachment = body["attachments"][0]
        need(attachment["contentType"] == "application/vnd.microsoft.card.adaptive", "an Adaptive Card attachment")
        card = attachment["content"]
        need(card["type"] == "AdaptiveCard" and card["version"] in ("1.2", "1.3", "1.4", "1.5"), "AdaptiveCard 1.2-1.5")
        need(all(b["type"] in ("TextBlock", "FactSet") for b in card["body"]), "TextBlock and FactSet elements only")
        for action in card.get("actions", []):
            need(action["type"] == "Action.OpenUrl" and action["url"].startswith("https://"), "OpenUrl actions to https URLs")
        self.teams_cards.append(card)
        return 202, None

    # --- GitHub -----------------------------------------------------------------------------------
    def _github_headers(self, headers: dict[str, str]) -> None:
        need(headers.get("authorization") == f"Bearer {GITHUB_TOKEN}", "Authorization: Bearer <token>")
        need(headers.get("accept") == "application/vnd.github+json", "Accept: application/vnd.github+json")
        need(headers.get("x-github-api-version") == "2022-11-28", "X-GitHub-Api-Version: 2022-11-28")

    def github_create(self, *, headers: dict[str, str], body: Any, **_: Any) -> tuple[int, Any]:
        self._github_headers(headers)
        need(set(body) <= {"title", "body", "labels", "assignees", "milestone"}, f"unknown fields {set(body)}")
        need(isinstance(body["title"], str) and isinstance(body["body"], str) and isinstance(body["labels"], list), "title, body, labels")
        number = len(self.tickets["github"]) + 1
        self.tickets["github"][str(number)] = Ticket(str(number), body["title"], body["body"], "open", ["created"])
        return 201, {"number": number, "state": "open", "html_url": f"https://github.com/contoso/ai-security/issues/{number}"}

    def github_update(self, *, headers: dict[str, str], body: Any, ref: str, **_: Any) -> tuple[int, Any]:
        self._github_headers(headers)
        need(set(body) <= {"title", "body", "state", "state_reason", "labels"}, f"unknown fields {set(body)}")
        need(body.get("state", "open") in ("open", "closed"), "state open or closed")
        need(body.get("state_reason") in (None, "completed", "not_planned", "reopened"), "state_reason")
        ticket = self.tickets["github"][ref]
        ticket.title, ticket.body = body.get("title", ticket.title), body.get("body", ticket.body)
        new = body.get("state", ticket.state)
        ticket.history.append("closed" if new == "closed" else "reopened" if ticket.state == "closed" else "updated")
        ticket.state = new
        return 200, {"number": int(ref), "state": new}

    # --- Azure DevOps -------------------------------------------------------------------------------
    def _ado(self, headers: dict[str, str], query: dict[str, str], body: Any) -> dict[str, Any]:
        need(self.basic(headers) == ("", ADO_PAT), "Basic with an empty user and the PAT")
        need(query.get("api-version") == "7.1", "api-version=7.1")
        need(headers.get("content-type", "").startswith("application/json-patch+json"), "Content-Type: application/json-patch+json")
        need(isinstance(body, list) and body, "a JSON Patch document (a non-empty array)")
        fields = {}
        for op in body:
            need(op["op"] in ("add", "replace", "test", "remove") and op["path"].startswith("/fields/"), f"bad operation {op}")
            fields[op["path"][len("/fields/") :]] = op.get("value")
        return fields

    def ado_create(self, *, headers: dict[str, str], query: dict[str, str], body: Any, kind: str, **_: Any) -> tuple[int, Any]:
        fields = self._ado(headers, query, body)
        need(kind == "Task", "work item type Task")
        need(bool(fields.get("System.Title")), "System.Title is required")
        number = 100 + len(self.tickets["ado"])
        self.tickets["ado"][str(number)] = Ticket(
            str(number), fields["System.Title"], fields.get("System.Description"), "To Do", ["created"]
        )
        return 200, {"id": number, "rev": 1, "fields": fields}

    def ado_update(self, *, headers: dict[str, str], query: dict[str, str], body: Any, ref: str, **_: Any) -> tuple[int, Any]:
        fields = self._ado(headers, query, body)
        ticket = self.tickets["ado"][ref]
        ticket.title = fields.get("System.Title", ticket.title)
        ticket.body = fields.get("System.Description", ticket.body)
        state = fields.get("System.State", ticket.state)
        need(state in ("To Do", "Doing", "Done"), f"unknown state {state}")
        ticket.history.append("closed" if state == "Done" else "reopened" if ticket.state == "Done" else "updated")
        ticket.state = state
        return 200, {"id": int(ref)}

    # --- ServiceNow ---------------------------------------------------------------------------------
    def _snow(self, headers: dict[str, str]) -> None:
        need(self.basic(headers) == (SNOW_USER, SNOW_PASSWORD), "Basic with the integration user")
        need(headers.get("accept") == "application/json", "Accept: application/json")

    def snow_find(self, *, headers: dict[str, str], query: dict[str, str], **_: Any) -> tuple[int, Any]:
        self._snow(headers)
        match = re.match(r"correlation_id=([\w-]+)", query.get("sysparm_query", ""))
        need(match is not None, "sysparm_query=correlation_id=...")
        assert match is not None
        found = [t for t in self.tickets["servicenow"].values() if t.body["correlation_id"] == match.group(1)]
        return 200, {"result": [{"sys_id": t.ref} for t in found[: int(query.get("sysparm_limit", "10"))]]}

    def snow_create(self, *, headers: dict[str, str], body: Any, **_: Any) -> tuple[int, Any]:
        self._snow(headers)
        need(bool(body.get("short_description")) and len(body["short_description"]) <= 160, "short_description, at most 160")
        need(0 < len(body.get("correlation_id", "")) <= 100, "correlation_id, at most 100 characters")
        sys_id = hashlib.sha1(f"{len(self.tickets['servicenow'])}".encode(), usedforsecurity=False).hexdigest()[:32]
        self.tickets["servicenow"][sys_id] = Ticket(sys_id, body["short_description"], body, "1", ["created"])
        return 201, {"result": {"sys_id": sys_id, "number": f"INC{len(self.tickets['servicenow']):07d}"}}

    def snow_update(self, *, headers: dict[str, str], body: Any, ref: str, **_: Any) -> tuple[int, Any]:
        self._snow(headers)
        ticket = self.tickets["servicenow"][ref]
        state = str(body.get("state", ticket.state))
        if state in ("6", "7"):  # the instance's data policy: resolving needs a close code and notes
            need(bool(body.get("close_code")) and bool(body.get("close_notes")), "close_code and close_notes to resolve")
        ticket.title = body.get("short_description", ticket.title)
        ticket.body = {**ticket.body, **body}
        ticket.history.append("closed" if state == "6" else "reopened" if ticket.state == "6" else "updated")
        ticket.state = state
        return 200, {"result": {"sys_id": ref}}

    # --- Jira ---------------------------------------------------------------------------------------
    def _jira(self, headers: dict[str, str]) -> None:
        need(self.basic(headers) == (JIRA_EMAIL, JIRA_TOKEN), "Basic with email and API token")

    @staticmethod
    def _adf(doc: Any) -> None:
        need(doc["type"] == "doc" and doc["version"] == 1, "an ADF document, version 1")
        for paragraph in doc["content"]:
            need(paragraph["type"] == "paragraph", "paragraphs")
            for node in paragraph["content"]:
                need(node["type"] == "text" and isinstance(node["text"], str), "text nodes")

    def jira_create(self, *, headers: dict[str, str], body: Any, **_: Any) -> tuple[int, Any]:
        self._jira(headers)
        fields = body["fields"]
        need(fields["project"]["key"] == "SEC" and fields["issuetype"]["name"] == "Task", "project SEC, type Task")
        need(isinstance(fields["summary"], str) and len(fields["summary"]) <= 255, "summary")
        need(all(" " not in label for label in fields.get("labels", [])), "labels without spaces")
        self._adf(fields["description"])
        key = f"SEC-{len(self.tickets['jira']) + 1}"
        self.tickets["jira"][key] = Ticket(key, fields["summary"], fields["description"], "To Do", ["created"])
        return 201, {"id": "10000", "key": key}

    def jira_update(self, *, headers: dict[str, str], body: Any, ref: str, **_: Any) -> tuple[int, Any]:
        self._jira(headers)
        self._adf(body["fields"]["description"])
        ticket = self.tickets["jira"][ref]
        ticket.title, ticket.body = body["fields"]["summary"], body["fields"]["description"]
        ticket.history.append("updated")
        return 204, None

    def jira_get(self, *, headers: dict[str, str], ref: str, **_: Any) -> tuple[int, Any]:
        self._jira(headers)
        state = self.tickets["jira"][ref].state
        return 200, {"key": ref, "fields": {"status": {"name": state, "statusCategory": {"key": CATEGORY[state]}}}}

    def jira_transitions(self, *, headers: dict[str, str], ref: str, **_: Any) -> tuple[int, Any]:
        self._jira(headers)
        state = self.tickets["jira"][ref].state
        targets = [("11", "To Do"), ("21", "In Progress"), ("31", "Done")]
        return 200, {
            "transitions": [
                {"id": i, "name": n, "to": {"name": n, "statusCategory": {"key": CATEGORY[n]}}} for i, n in targets if n != state
            ]
        }

    def jira_transition(self, *, headers: dict[str, str], body: Any, ref: str, **_: Any) -> tuple[int, Any]:
        self._jira(headers)
        target = {"11": "To Do", "21": "In Progress", "31": "Done"}.get(body["transition"]["id"])
        ticket = self.tickets["jira"][ref]
        need(target is not None and target != ticket.state, "a transition available from the current status")
        ticket.history[-1] = "closed" if target == "Done" else "reopened"  # the PUT before it was part of the same change
        ticket.state = str(target)
        return 204, None

    # --- webhook ------------------------------------------------------------------------------------
    def webhook(self, *, headers: dict[str, str], query: dict[str, str], raw: bytes, body: Any, **_: Any) -> tuple[int, Any]:
        need(query.get("token") == HOOK_TOKEN, "the receiver's token in the URL")
        expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        need(hmac.compare_digest(headers.get("x-driftguard-signature", ""), expected), "a valid X-DriftGuard-Signature")
        need(body["source"] == "driftguard" and body["action"] in ("created", "updated", "closed"), "source and action")
        self.webhooks.append(body)
        return 204, None


def sink_settings(url: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The settings of one sink of each kind at the stand-ins under `url`; the environment names the
    stand-ins' loopback host as an allowed private host."""
    environ = {
        "DRIFTGUARD_SINK_PRIVATE_HOSTS": HOST,
        "TEAMS_URL": f"{url}/teams/webhook?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={TEAMS_SIG}",
        "GH_TOKEN": GITHUB_TOKEN,
        "ADO_PAT": ADO_PAT,
        "SNOW_PASSWORD": SNOW_PASSWORD,
        "JIRA_TOKEN": JIRA_TOKEN,
        "HOOK_URL": f"{url}/hook?token={HOOK_TOKEN}",
        "HOOK_SECRET": WEBHOOK_SECRET,
    }
    sinks = [
        {"name": "teams", "kind": "teams", "url_setting": "TEAMS_URL"},
        {"name": "github", "kind": "github", "repository": "contoso/ai-security", "token_setting": "GH_TOKEN", "api_url": f"{url}/github"},
        {
            "name": "boards",
            "kind": "azure_devops",
            "organization_url": f"{url}/ado/contoso",
            "project": "AI Security",
            "token_setting": "ADO_PAT",
        },
        {
            "name": "snow",
            "kind": "servicenow",
            "instance_url": f"{url}/snow",
            "username": SNOW_USER,
            "password_setting": "SNOW_PASSWORD",
        },
        {
            "name": "jira",
            "kind": "jira",
            "base_url": f"{url}/jira",
            "project_key": "SEC",
            "email": JIRA_EMAIL,
            "token_setting": "JIRA_TOKEN",
        },
        {"name": "hook", "kind": "webhook", "url_setting": "HOOK_URL", "secret_setting": "HOOK_SECRET"},
    ]
    return environ, sinks
