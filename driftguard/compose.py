"""The one place that wires settings, gateways, inventories and rules together.

It is also the only product module that may import the simulator, for `--simulated` and the demo.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions

import remediations
from driftguard import rules
from driftguard.azure.activity import ActivityReader
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential, live_connection
from driftguard.azure.inventory import LiveInventory, inventory_query
from driftguard.azure.publish import EventPublisher
from driftguard.azure.resource_graph import Scope
from driftguard.azure.writes import ArmWriter
from driftguard.cases.desk import CaseDesk
from driftguard.cases.incidents import IncidentIntake
from driftguard.cases.outbox import Outbox
from driftguard.cases.sinks.registry import build_sinks
from driftguard.enforcement import Observer
from driftguard.inventory import ListInventory
from driftguard.model import Source
from driftguard.policy import ConfigError, Policy, Settings
from driftguard.probing import ProbeRun, probe_estate
from driftguard.respond import Responder, Result
from driftguard.review import Review, collect
from driftguard.snapshot import iter_resources
from driftguard.store.base import CaseListener, NoticeListener, StateStore
from driftguard.store.sqlite import SqliteStore

if TYPE_CHECKING:
    from driftguard.azure.directory import Directory
from driftguard.store.table import TableStore

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
DEFAULT_STATE_DB = "driftguard-state.db"


def state_store(settings: Settings, credential: TokenCredential | None = None) -> StateStore:
    """Table Storage with the app's managed identity when an endpoint is set, else a SQLite file."""
    if settings.table_endpoint:
        if credential is None:
            raise ConfigError("DRIFTGUARD_TABLE_ENDPOINT needs a credential (the managed identity)")
        return TableStore.from_endpoint(settings.table_endpoint, credential)
    return SqliteStore(settings.state_db or Path(DEFAULT_STATE_DB))


def live_state_store(settings: Settings) -> StateStore:
    """The configured state store, authenticated as the app (managed identity) or `az login`."""
    connection = live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id)
    return state_store(settings, connection.credential)


def live_review(settings: Settings, policy: Policy, scope: Scope, *, workspace: str | None = None) -> Review:
    """A read-only access review of a live tenant: the same gateways and judgement as the simulated one."""
    from datetime import UTC, datetime

    from driftguard.azure.directory import Directory

    connection = live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id)
    raw = RawArm(connection)
    inventory = LiveInventory(connection, scope, rule_types=rules.rule_types(), deep=False)
    workspace = workspace or settings.log_analytics_workspace
    activity = ActivityReader(connection.credential, workspace_id=workspace) if workspace else None
    directory = Directory(connection.credential, endpoint=settings.graph_endpoint)
    try:
        ai_ids = [str(r["id"]) for r in inventory.graph.query(inventory_query(rules.rule_types()), scope)]
        review = collect(
            graph=inventory.graph,
            arm=ArmWriter(raw, settings.arm_endpoint),
            directory=directory,
            activity=activity,
            scope=scope,
            policy=policy,
            now=datetime.now(UTC),
            ai_resource_ids=ai_ids,
        )
        if activity is None:
            review.notes.insert(
                0, "no Log Analytics workspace configured (DRIFTGUARD_LOG_ANALYTICS_WORKSPACE or --workspace): nothing is judged unused"
            )
        return review
    finally:
        inventory.close()
        raw.close()
        directory.close()
        if activity is not None:
            activity.close()


def outbox(settings: Settings, store: StateStore, credential: TokenCredential, environ: Mapping[str, str]) -> Outbox:
    """The configured ticket sinks (secrets from the environment) and event topic, behind the outbox."""
    publisher = EventPublisher(settings.events_topic_endpoint, credential) if settings.events_topic_endpoint else None
    return Outbox(store, sinks=build_sinks(settings, environ), publisher=publisher, console_url=settings.console_url)


@dataclass(frozen=True, slots=True)
class LiveApp:
    """What the Function App runs on: one store, one outbox, and the engine pieces sharing them."""

    responder: Responder
    desk: CaseDesk
    outbox: Outbox
    # Microsoft Graph, for the console's display names (the same identity the access review reads with).
    directory: Directory


def live_app(settings: Settings, policy: Policy, *, environ: Mapping[str, str] | None = None) -> LiveApp:
    """Production: live ARM as the app's managed identity, the configured store, and the outbox told
    about every case, finding and fix (by events, sweeps and approvals alike)."""
    connection = live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id)
    # Fixes are written as the remediator; everything else runs as the read-only detector.
    remediator = settings.remediator_client_id or settings.managed_identity_client_id
    writer = ArmWriter(
        RawArm(live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=remediator)), settings.arm_endpoint
    )
    reader = ArmWriter(RawArm(connection), settings.arm_endpoint).read
    store = state_store(settings, connection.credential)
    notifications = outbox(settings, store, connection.credential, os.environ if environ is None else environ)
    registry = remediations.registry()
    # Tells whether a key regeneration whose own event is late landed (else it waits, then is sent again).
    workspace = settings.log_analytics_workspace
    activity = ActivityReader(connection.credential, workspace_id=workspace) if workspace else None
    responder = Responder(
        policy=policy,
        store=store,
        reader=reader,
        writer=writer,
        remediations=registry,
        subscriptions=settings.subscriptions,
        identity_ids=settings.identity_ids,
        dry_run=settings.dry_run,
        case_listeners=(notifications.case_changed,),
        notice_listeners=(notifications.notice,),
        claim_ttl=settings.claim_ttl,
        activity=activity,
    )
    desk = CaseDesk(
        policy=policy,
        store=store,
        reader=reader,
        writer=writer,
        remediations=registry,
        listeners=(notifications.case_changed,),
        claim_ttl=settings.claim_ttl,
        dry_run=settings.dry_run,
        activity=activity,
    )
    from driftguard.azure.directory import Directory

    return LiveApp(responder, desk, notifications, Directory(connection.credential, endpoint=settings.graph_endpoint))


def events_responder(settings: Settings, policy: Policy, *, apply: bool, scratch: Path) -> Responder:
    """`driftguard events --live`: with `apply`, the production app (its store, its outbox). Without
    it, a dry run that must leave no trace where the app keeps its state: baselines, findings, cases
    and dedupe marks go to a throwaway store under `scratch`, and no ticket or event is sent."""
    if apply:
        return live_app(settings, policy).responder
    connection = live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id)
    reader = ArmWriter(RawArm(connection), settings.arm_endpoint)
    return Responder(
        policy=policy,
        store=SqliteStore(scratch / "dry-run-state.db"),
        reader=reader.read,
        writer=reader,  # never called: a dry run decides and records, and writes nothing
        remediations=remediations.registry(),
        subscriptions=settings.subscriptions,
        identity_ids=settings.identity_ids,
        dry_run=True,
    )


@contextmanager
def live_incidents(
    settings: Settings, policy: Policy, *, store: StateStore, listeners: tuple[CaseListener, ...] = ()
) -> Iterator[IncidentIntake]:
    """Defender for AI alerts into incident cases, read as the detector: alerts from Resource Graph,
    the alerted resources over ARM, their recent changes from Log Analytics when a workspace is set."""
    from driftguard.azure.activity import ActivityReader
    from driftguard.azure.alerts import AlertReader
    from driftguard.azure.resource_graph import ResourceGraph

    connection = live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id)
    raw = RawArm(connection)
    scope = Scope(subscriptions=settings.subscriptions, management_group=settings.management_group)
    workspace = settings.log_analytics_workspace
    activity = ActivityReader(connection.credential, workspace_id=workspace) if workspace else None
    try:
        yield IncidentIntake(
            policy=policy,
            store=store,
            reader=ArmWriter(raw, settings.arm_endpoint).read,
            remediations=remediations.registry(),
            alerts_since=AlertReader(ResourceGraph(raw), scope),
            changes=activity.recent_changes if activity else None,
            listeners=listeners,
        )
    finally:
        raw.close()
        if activity is not None:
            activity.close()


@contextmanager
def live_inventory(
    scope: Scope, *, deep: bool, endpoint: str = DEFAULT_ARM_ENDPOINT, managed_identity_client_id: str | None = None
) -> Iterator[LiveInventory]:
    connection = live_connection(endpoint=endpoint, managed_identity_client_id=managed_identity_client_id)
    inventory = LiveInventory(connection, scope, rule_types=rules.rule_types(), deep=deep)
    try:
        yield inventory
    finally:
        inventory.close()


def live_probe(
    settings: Settings, policy: Policy, scope: Scope, *, store: StateStore, listeners: tuple[CaseListener, ...] = ()
) -> ProbeRun:
    """Today's canary probes of the opted-in deployments, as the detector identity (which holds
    Cognitive Services OpenAI User on the opted-in accounts: a data-plane role, no keys)."""
    from datetime import UTC

    from driftguard.azure.probe import OpenAIProber

    run = ProbeRun()
    if not policy.probes.deployments:
        run.skipped.append("probes are off: the policy file opts no deployment in")
        return run
    connection = live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id)
    prober = OpenAIProber(connection.credential)
    # Deep: deployments are read per account over ARM (Resource Graph does not index them).
    inventory = LiveInventory(connection, scope, rule_types=rules.rule_types(), deep=True)
    try:
        return probe_estate(inventory.resources(), policy=policy, store=store, prober=prober, now=datetime.now(UTC), listeners=listeners)
    finally:
        inventory.close()
        prober.close()


class SimulatedDataPlaneCredential:
    """The simulator's tokens name their audience (`sim:<oid>:<oid>:<host>`), so that it can refuse an
    ARM token on the data plane as Azure does."""

    def __init__(self, principal: str) -> None:
        self._principal = principal

    def get_token(
        self, *scopes: str, claims: str | None = None, tenant_id: str | None = None, enable_cae: bool = False, **kwargs: object
    ) -> AccessToken:
        info = self._token(*scopes)
        return AccessToken(info.token, info.expires_on)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        return self._token(*scopes)

    def _token(self, *scopes: str) -> AccessTokenInfo:
        import time
        from urllib.parse import urlsplit

        audience = urlsplit(scopes[0] if scopes else "").netloc
        return AccessTokenInfo(f"sim:{self._principal}:{self._principal}:{audience}", int(time.time()) + 3600)


@contextmanager
def simulated_inventory(*, deep: bool = True) -> Iterator[LiveInventory]:
    """The bundled sample estate, read through the same live code path (in-process transport)."""
    from simulator import Simulator, sample
    from simulator.transport import BASE_URL, in_process_session

    sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)
    connection = ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)
    inventory = LiveInventory(
        connection, Scope(subscriptions=sample.SUBSCRIPTIONS), rule_types=rules.rule_types(), deep=deep, source=Source.SIMULATED
    )
    try:
        yield inventory
    finally:
        inventory.close()


@contextmanager
def snapshot_inventory(path: str, stdin: IO[str]) -> Iterator[ListInventory]:
    """A snapshot file, or standard input for `-`. Opening errors surface as OSError to the caller."""
    if path == "-":
        yield ListInventory(iter_resources(stdin, name="<stdin>"), source=Source.SNAPSHOT)
        return
    with Path(path).open(encoding="utf-8") as stream:
        yield ListInventory(iter_resources(stream, name=path), source=Source.SNAPSHOT)


class SimulatedWorld:
    """The demo's world: the sample estate in the in-process simulator, a SQLite store, and the
    responder wired exactly as in production but for the transport and the credential. Changes made
    by other principals (`act_as`) produce Event Grid events, queued for `deliver`."""

    DRIFTGUARD = "d9d9d9d9-0000-4000-8000-000000000001"

    def __init__(
        self,
        state_dir: Path,
        policy: Policy,
        *,
        case_listeners: tuple[CaseListener, ...] = (),
        notice_listeners: tuple[NoticeListener, ...] = (),
    ) -> None:
        from simulator import Simulator, sample

        self.sample = sample
        self.sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)
        # One clock for the simulated Azure and DriftGuard: a story may tell part of itself as having
        # happened earlier (`earlier`), its events, Activity Log and cases all dated then.
        self._earlier = timedelta(0)
        self.sim.writes.clock = self.now
        self.pending: list[dict[str, object]] = []
        self.sim.writes.subscribe(self.pending.append)
        self.store = SqliteStore(state_dir / "state.db")
        connection = self._connection(f"sim:{self.DRIFTGUARD}")
        self.writer = ArmWriter(RawArm(connection), self._base_url(), poll_interval_s=0)
        self.responder = Responder(
            policy=policy,
            store=self.store,
            reader=self.writer.read,
            writer=self.writer,
            remediations=remediations.registry(),
            subscriptions=sample.SUBSCRIPTIONS,
            identity_ids=(self.DRIFTGUARD,),
            case_listeners=case_listeners,
            notice_listeners=notice_listeners,
            activity=self.activity(),
            clock=self.now,
        )

    def now(self) -> datetime:
        return datetime.now(UTC) - self._earlier

    @contextmanager
    def earlier(self, ago: timedelta) -> Iterator[None]:
        """What happens inside happens `ago` in the past, for Azure and DriftGuard alike."""
        self._earlier = ago
        try:
            yield
        finally:
            self._earlier = timedelta(0)

    @staticmethod
    def _base_url() -> str:
        from simulator.transport import BASE_URL

        return BASE_URL

    def _connection(self, token: str) -> ArmConnection:
        from simulator.transport import in_process_session

        return ArmConnection(self._base_url(), StaticTokenCredential(token), session=in_process_session(self.sim), polling_interval=0)

    def activity(self) -> ActivityReader:
        """The Activity Log as the simulator's Log Analytics answers it (what its writes recorded)."""
        from azure.core.pipeline.transport import RequestsTransport

        from simulator.transport import in_process_session

        transport = RequestsTransport(session=in_process_session(self.sim), session_owner=False)
        credential = StaticTokenCredential(f"sim:{self.DRIFTGUARD}")
        return ActivityReader(credential, workspace_id="law-security", endpoint="https://logs.simulator.local", transport=transport)

    def directory(self) -> Directory:
        """Microsoft Graph as the simulator answers it (its tenant's principals, with display names)."""
        from azure.core.pipeline.transport import RequestsTransport

        from driftguard.azure.directory import Directory
        from simulator.transport import in_process_session

        transport = RequestsTransport(session=in_process_session(self.sim), session_owner=False)
        return Directory(StaticTokenCredential(f"sim:{self.DRIFTGUARD}"), endpoint="https://graph.simulator.local", transport=transport)

    def inventory(self) -> LiveInventory:
        return LiveInventory(
            self._connection(f"sim:{self.DRIFTGUARD}"),
            Scope(subscriptions=self.sample.SUBSCRIPTIONS),
            rule_types=rules.rule_types(),
            deep=True,
            source=Source.SIMULATED,
        )

    def sweep(self) -> list[Result]:
        """The estate sweep, then the events DriftGuard's own fixes produce, handled as Event Grid
        would deliver them: the world as a freshly deployed DriftGuard leaves it."""
        inventory = self.inventory()
        try:
            results = self.responder.sweep(inventory.resources())
        finally:
            inventory.close()
        return results + self.deliver()

    def deliver(self) -> list[Result]:
        """Hands every queued event to the responder, as Event Grid would."""
        from driftguard.events import parse_event

        results: list[Result] = []
        while events := self.take_events():
            for raw in events:
                results.extend(self.responder.handle(parse_event(raw)))
                self.settle()
        return results

    def act_as(self, principal: str, method: str, resource_id: str, body: object | None, api_version: str = "2025-09-01") -> int:
        """Another principal changes Azure (through ARM, like a portal or a pipeline would)."""
        raw = RawArm(self._connection(f"sim:{principal}"))
        status = raw.send(method, resource_id, api_version=api_version, body=body).status_code
        self.settle()
        return status

    def settle(self) -> None:
        """Let running operations finish, as ARM does by itself."""
        self.sim.writes.settle()

    def review(self, policy: Policy) -> Review:
        """The access review of the simulated tenant, through the same gateways as in Azure."""
        from datetime import UTC, datetime

        from azure.core.pipeline.transport import RequestsTransport

        from driftguard.azure.directory import Directory
        from simulator.transport import in_process_session

        self.sample.seed_directory(self.sim)
        credential = StaticTokenCredential(f"sim:{self.DRIFTGUARD}")

        def transport() -> RequestsTransport:
            return RequestsTransport(session=in_process_session(self.sim), session_owner=False)

        inventory = self.inventory()
        raw = RawArm(self._connection(f"sim:{self.DRIFTGUARD}"))
        try:
            ai_ids = [str(r["id"]) for r in inventory.graph.query(inventory_query(rules.rule_types()), inventory.scope)]
            return collect(
                graph=inventory.graph,
                arm=ArmWriter(raw, self._base_url()),
                directory=Directory(credential, endpoint="https://graph.simulator.local", transport=transport()),
                activity=ActivityReader(
                    credential, workspace_id="law-security", endpoint="https://logs.simulator.local", transport=transport()
                ),
                scope=inventory.scope,
                policy=policy,
                now=datetime.now(UTC),
                ai_resource_ids=ai_ids,
            )
        finally:
            inventory.close()
            raw.close()

    def probe(self, policy: Policy, *, listeners: tuple[CaseListener, ...] = ()) -> ProbeRun:
        """Canary probes of the simulated estate's opted-in deployments: the same run as in Azure, the
        `openai` client talking to the simulator's data plane in process."""
        from datetime import UTC

        import httpx2

        from driftguard.azure.probe import OpenAIProber
        from simulator.transport import in_process_httpx

        self._grant_probe_access(policy)
        prober = OpenAIProber(
            SimulatedDataPlaneCredential(self.DRIFTGUARD), http_client=httpx2.Client(transport=in_process_httpx(self.sim))
        )
        inventory = self.inventory()
        try:
            return probe_estate(
                inventory.resources(), policy=policy, store=self.store, prober=prober, now=datetime.now(UTC), listeners=listeners
            )
        finally:
            inventory.close()
            prober.close()

    def _grant_probe_access(self, policy: Policy) -> None:
        """What infra/modules/probe-access.bicep does in Azure: Cognitive Services OpenAI User for
        DriftGuard on each account holding an opted-in deployment (written to the estate directly, as a
        deployment made before the story starts)."""
        import uuid

        from simulator.roles import role_assignment

        open_ai_user = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
        accounts = {
            str(r["id"]).rsplit("/deployments/", 1)[0]
            for r in self.sim.estate.raw_items()
            if str(r.get("type", "")).lower() == "microsoft.cognitiveservices/accounts/deployments" and policy.probes.opted_in(str(r["id"]))
        }
        for account in sorted(accounts):
            name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}|{self.DRIFTGUARD}|{open_ai_user}"))
            self.sim.estate.put(role_assignment(account, name, open_ai_user, self.DRIFTGUARD, principal_type="ServicePrincipal"))

    def desk(
        self,
        policy: Policy,
        *,
        listeners: tuple[CaseListener, ...] = (),
        clock: Callable[[], datetime] | None = None,
        observer: Observer | None = None,
        dry_run: bool = False,
    ) -> CaseDesk:
        """The approval desk over this world: the same store, reads and writes as the responder."""
        return CaseDesk(
            policy=policy,
            store=self.store,
            reader=self.writer.read,
            writer=self.writer,
            remediations=remediations.registry(),
            listeners=listeners,
            clock=clock,
            observer=observer,
            dry_run=dry_run,
            activity=self.activity(),
        )

    def incidents(self, policy: Policy, *, listeners: tuple[CaseListener, ...] = ()) -> IncidentIntake:
        """Defender for AI alerts of the simulated estate into incident cases, through the same gateways
        as in Azure (Resource Graph's `securityresources`, ARM, the Log Analytics query API)."""
        from azure.core.pipeline.transport import RequestsTransport

        from driftguard.azure.activity import ActivityReader
        from driftguard.azure.alerts import AlertReader
        from driftguard.azure.resource_graph import ResourceGraph
        from simulator.transport import in_process_session

        credential = StaticTokenCredential(f"sim:{self.DRIFTGUARD}")
        activity = ActivityReader(
            credential,
            workspace_id="law-security",
            endpoint="https://logs.simulator.local",
            transport=RequestsTransport(session=in_process_session(self.sim), session_owner=False),
        )
        graph = ResourceGraph(RawArm(self._connection(f"sim:{self.DRIFTGUARD}")))
        return IncidentIntake(
            policy=policy,
            store=self.store,
            reader=self.writer.read,
            remediations=remediations.registry(),
            alerts_since=AlertReader(graph, Scope(subscriptions=self.sample.SUBSCRIPTIONS)),
            changes=activity.recent_changes,
            listeners=listeners,
        )

    def take_events(self) -> list[dict[str, object]]:
        events, self.pending[:] = list(self.pending), []
        return events
