"""The one place that wires settings, gateways, inventories and rules together.

It is also the only product module that may import the simulator, for `--simulated` and the demo.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from azure.core.credentials import TokenCredential

import remediations
from driftguard import rules
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential, live_connection
from driftguard.azure.inventory import LiveInventory
from driftguard.azure.resource_graph import Scope
from driftguard.azure.writes import ArmWriter
from driftguard.inventory import ListInventory
from driftguard.model import Source
from driftguard.policy import ConfigError, Policy, Settings
from driftguard.respond import Responder
from driftguard.snapshot import iter_resources
from driftguard.store.base import StateStore
from driftguard.store.sqlite import SqliteStore
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


def live_responder(settings: Settings, policy: Policy) -> Responder:
    """The production event path: live ARM with DefaultAzureCredential, the configured store."""
    connection = live_connection(endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id)
    writer = ArmWriter(RawArm(connection), settings.arm_endpoint)
    return Responder(
        policy=policy,
        store=state_store(settings, connection.credential),
        reader=writer.read,
        writer=writer,
        remediations=remediations.registry(),
        subscriptions=settings.subscriptions,
        identity_ids=settings.identity_ids,
        dry_run=settings.dry_run,
    )


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
