"""A local host for the app's HTTP functions, for the console against the simulator and its tests.

It does what the Functions host and App Service Authentication do in front of the app, and nothing
more: route a request to the decorated function whose route template matches (under `/api/`), as an
`azure.functions.HttpRequest`; drop any client-sent principal header and put the signed-in user's in
its place. It binds to 127.0.0.1 only. In Azure the real host and Easy Auth do this.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # `python -m functions.devhost` (`make console`): a Ctrl-C at any point of the start-up, the imports
    # below (the Functions SDK, the app, the engine) and the story's seeding included, exits 130 with
    # nothing on stderr, as Ctrl-C does once the console serves. This module is imported again as
    # itself, inside the handler; nothing heavy has been imported yet.
    import importlib

    try:
        _code = importlib.import_module("functions.devhost").main()
    except KeyboardInterrupt:
        _code = 130
    sys.exit(_code)

import contextlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

import azure.functions as func
from azure.functions.decorators.function_app import Function

if TYPE_CHECKING:
    from driftguard.compose import SimulatedWorld
    from driftguard.policy import Policy

ROUTE_PREFIX = "/api/"


@dataclass(frozen=True, slots=True)
class Route:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    function: Any  # the user's decorated function

    @classmethod
    def of(cls, template: str, methods: Iterable[str], function: Any) -> Route:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        return cls(re.compile(f"^{regex}$"), frozenset(m.upper() for m in methods), function)


def http_routes(functions: Iterable[Function]) -> list[Route]:
    """The HTTP functions' routes. Takes `app.get_functions()` (which may be called once per app)."""
    routes = []
    for fn in functions:
        for binding in fn.get_bindings():
            if binding.type == "httpTrigger":
                methods = [str(m.value if hasattr(m, "value") else m) for m in (getattr(binding, "methods", None) or ["GET"])]
                routes.append(Route.of(str(getattr(binding, "route", "")), methods, fn.get_user_function()))
    return routes


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        return


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class DevHost:
    def __init__(self, functions: Iterable[Function], *, principal_header: str | None) -> None:
        self.routes = http_routes(functions)
        # The Easy Auth header of the signed-in user (None: nobody signed in); a test may switch users.
        self.principal_header = principal_header
        self.url = ""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"].upper()
        if not path.startswith(ROUTE_PREFIX):
            return self._send(start_response, func.HttpResponse("not found", status_code=404))
        tail = path[len(ROUTE_PREFIX) :]
        for route in self.routes:
            match = route.pattern.match(tail)
            if match is None:
                continue
            if method not in route.methods:
                return self._send(start_response, func.HttpResponse("method not allowed", status_code=405))
            headers = {
                key[5:].replace("_", "-").lower(): value
                for key, value in environ.items()
                if key.startswith("HTTP_") and not key.startswith("HTTP_X_MS_CLIENT_PRINCIPAL")
            }
            if environ.get("CONTENT_TYPE"):
                headers["content-type"] = environ["CONTENT_TYPE"]
            if self.principal_header is not None:
                headers["x-ms-client-principal"] = self.principal_header
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            request = func.HttpRequest(
                method,
                f"http://{environ.get('HTTP_HOST', 'localhost')}{path}",
                headers=headers,
                params=dict(parse_qsl(environ.get("QUERY_STRING", ""))),
                route_params=match.groupdict(),
                body=body,
            )
            return self._send(start_response, route.function(request))
        return self._send(start_response, func.HttpResponse("not found", status_code=404))

    @staticmethod
    def _send(start_response: StartResponse, response: func.HttpResponse) -> list[bytes]:
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-type"]
        headers.append(("Content-Type", f"{response.mimetype}; charset={response.charset}"))
        start_response(f"{response.status_code} {'OK' if response.status_code < 400 else 'Error'}", headers)
        return [response.get_body()]


@contextmanager
def serving(functions: Iterable[Function], *, principal_header: str | None, port: int = 0) -> Iterator[DevHost]:
    """Serves the app's HTTP functions on 127.0.0.1 in a background thread; yields the host, whose
    `url` is the base URL."""
    host = DevHost(functions, principal_header=principal_header)
    server = make_server("127.0.0.1", port, host, server_class=_Server, handler_class=_Quiet)
    host.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="driftguard-devhost", daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()


def seed_story(world: SimulatedWorld, policy: Policy) -> None:
    """The demo's story on a swept simulated world (`compose.SimulatedWorld`), left for an approver to
    try: a developer's public-access change (reverted), key listing (a case with the rotation) and
    weakened jailbreak filter (restored); a pipeline flapping public access until flap protection opens
    a case naming it; the canary probes' case (a deployment whose filter lets known attacks through);
    the developer's standing Owner grant (a high case whose rule the policy lists in
    `approvals.critical_rules`, so it needs two approvers: Bob has given the first); a fix Bob approved and applied (its rollback can be requested); and the incident cases of
    Defender for AI alerts (a jailbreak with its playbook to approve). The directory names every one of them."""
    from collections import Counter
    from datetime import UTC, datetime, timedelta

    from driftguard import demo
    from driftguard.azure import api_versions
    from driftguard.cases.auth import Principal, Role
    from driftguard.review import open_removal_cases
    from driftguard.store.base import CaseStatus

    totals: Counter[str] = Counter()
    world.take_events()
    demo._ack(world, totals)  # the demo's own event loop, as it tells the story
    sim = world.sim
    demo.seed_people(world)
    # The emulated signed-in approver is "Local Approver" here, not the demo's Alice.
    sim.directory.add(ALICE_ID, "User", "Local Approver", upn="local.approver@contoso.onmicrosoft.com")
    prod = world.sample.PROD
    oai = f"/subscriptions/{prod}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"
    public = {"properties": {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": "Allow"}}}

    def act(principal: str, method: str, rid: str, body: object, **kw: str) -> None:
        world.act_as(principal, method, rid, body, **kw)
        demo._ack(world, totals)

    # Cases of different ages, so that the age filter and the SLA order show something: five days ago
    # (past the SLA) the developer opened the account to the internet, DriftGuard reverted it, and a
    # pipeline kept opening it until flap protection opened a case naming it; 30 hours ago the developer
    # listed the EU account's keys. The rest happens now. Azure's events and Activity Log, and the
    # cases, are all dated when it happened (`SimulatedWorld.earlier`).
    with world.earlier(timedelta(days=5)):
        act(demo.DEVELOPER, "PATCH", oai, public)
        for _ in range(5):
            act(demo.PIPELINE, "PATCH", oai, public)
    with world.earlier(timedelta(hours=30)):
        act(demo.DEVELOPER, "POST", f"{oai}-eu/listKeys", None)
    strict = f"{oai}/raiPolicies/strict-prod"
    current = sim.estate.get(strict) or {}
    filters = [
        dict(f, enabled=False, blocking=False) if f.get("name") == "Jailbreak" else f
        for f in current.get("properties", {}).get("contentFilters", [])
    ]
    act(demo.DEVELOPER, "PUT", strict, {"properties": {**current.get("properties", {}), "contentFilters": filters}})
    owner = f"/subscriptions/{prod}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    grant = f"{oai}/providers/Microsoft.Authorization/roleAssignments/0f6b0c1e-0042-4a00-8000-000000000042"
    body = {"properties": {"roleDefinitionId": owner, "principalId": demo.DEVELOPER, "principalType": "User"}}
    act(demo.DEVELOPER, "PUT", grant, body, api_version=api_versions.AUTHORIZATION)
    desk = world.desk(policy)
    bob = Principal(BOB_ID, BOB_NAME, frozenset({Role.APPROVER.value}))
    opened = list(world.store.cases(status=CaseStatus.OPEN))
    removal = next(c for c in opened if c.resource_id.lower() == grant.lower())
    desk.approve(removal.id, bob, reason="no standing Owner outside PIM", plan_digest=removal.plan_digest)
    applied = next(c for c in opened if c.plan_digest and c.resource_id.endswith("/srch-contoso-rag"))
    desk.approve(applied.id, bob, reason="CHG-1042: the search service goes private", plan_digest=applied.plan_digest)
    demo._ack(world, totals)
    # The weekly access review's removals: each with its evidence of use from the Activity Log.
    open_removal_cases(world.review(policy), store=world.store, policy=policy, now=datetime.now(UTC))
    # The daily canary probes (demo step 10): gpt-4o-mini behind the relaxed-debug filter lets known
    # attacks through, a high case. They run before the alerts' jailbreak playbook could fix that
    # filter; here the playbook is only applied when an approver approves it in the console.
    world.probe(policy)
    # The alert timer's run: Defender for AI alerts as incident cases (the jailbreak one with its playbook).
    world.incidents(policy).sweep()


# The emulated signed-in approver, and the other approver of the seeded story.
ALICE_ID = "a11ce000-0000-4000-8000-00000000000a"
BOB_ID, BOB_NAME = "b0b00000-0000-4000-8000-00000000000b", "Bob (security)"


def main(argv: list[str] | None = None) -> int:
    """`python -m functions.devhost`: the console on the simulated estate, for a look before deploying.
    The signed-in user is emulated (as Easy Auth would); everything else is the deployed code."""
    import argparse
    import tempfile
    import time
    from pathlib import Path

    from driftguard import compose
    from driftguard.cases.api import ApprovalApi
    from driftguard.cases.auth import Role, encode_principal
    from driftguard.policy import load_policy

    parser = argparse.ArgumentParser(prog="python -m functions.devhost", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--policy", type=Path, default=None, help="policy file (default: the built-in defaults)")
    parser.add_argument("--role", choices=["approver", "reader"], default="approver", help="the emulated user's app role")
    args = parser.parse_args(argv)

    import function_app
    from functions import runtime

    # The app's own settings, validated as at start-up in Azure (`runtime.SETTINGS`): DRIFTGUARD_DRY_RUN
    # is honoured here as there (approvals are recorded, nothing is written) and the console says so.
    dry_run = runtime.SETTINGS.dry_run
    with tempfile.TemporaryDirectory(prefix="driftguard-console-") as tmp:
        policy = load_policy(args.policy)
        world = compose.SimulatedWorld(Path(tmp), policy)
        world.sweep()
        seed_story(world, policy)
        desk = world.desk(policy, dry_run=dry_run)
        graph = world.directory()
        runtime.install_approvals(
            ApprovalApi(
                lambda: desk, easy_auth=True, dry_run=dry_run, people=graph.principals, users=graph.users, own_ids=(world.DRIFTGUARD,)
            )
        )
        # Every write that reaches the simulated estate from now on, one line each (the story's own
        # writes came before): what an approval sent, or, in dry run, that nothing was.
        world.sim.writes.subscribe(_print_write)
        role = Role.APPROVER if args.role == "approver" else Role.READER
        user = encode_principal(ALICE_ID, "Local Approver", (role.value,))
        with contextlib.ExitStack() as stack:
            try:
                host = stack.enter_context(serving(function_app.app.get_functions(), principal_header=user, port=args.port))
            except OSError as e:  # the port is taken (or not ours to bind): one line, not a traceback
                print(f"cannot serve the console on 127.0.0.1:{args.port}: {e.strerror or e} (choose another with --port)", file=sys.stderr)
                return 2
            cases = sum(1 for _ in world.store.cases())
            mode = " in DRY RUN (approvals are recorded, nothing is written)" if dry_run else ""
            print(f"DriftGuard console on the simulated estate ({cases} cases){mode}: {host.url}/api/console  (Ctrl-C to stop)", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 130  # Ctrl-C: the shell's code for SIGINT, as at any point of the start-up


def _print_write(event: Mapping[str, Any]) -> None:
    data = event.get("data")
    operation = data.get("operationName") if isinstance(data, Mapping) else None
    print(f"write to the simulated estate: {operation or event.get('eventType')} {event.get('subject')}", flush=True)
