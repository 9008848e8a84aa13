"""The one place that wires settings, gateways, inventories and rules together.

It is also the only product module that may import the simulator, for `--simulated` and the demo.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from driftguard import rules
from driftguard.azure.connection import ArmConnection, StaticTokenCredential, live_connection
from driftguard.azure.inventory import LiveInventory
from driftguard.azure.resource_graph import Scope
from driftguard.inventory import ListInventory
from driftguard.model import Source
from driftguard.snapshot import iter_resources

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"


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
