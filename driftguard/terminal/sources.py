"""What a command reads: the simulated estate, a snapshot file, or a live scope, which defaults to the
DRIFTGUARD_SUBSCRIPTIONS (or DRIFTGUARD_MANAGEMENT_GROUP) setting the app itself runs with."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from driftguard import compose
from driftguard.azure.resource_graph import Scope
from driftguard.inventory import Inventory, ListInventory
from driftguard.model import Source
from driftguard.policy import Settings, parse_guid
from driftguard.snapshot import iter_resources
from driftguard.terminal import login
from driftguard.terminal.context import Context, UsageError
from driftguard.textin import open_text, stdin_text

NO_SOURCE = "name what to read: --subscription, --management-group, --snapshot or --simulated (or set DRIFTGUARD_SUBSCRIPTIONS)"


def scope(args: argparse.Namespace, settings: Settings) -> Scope:
    """The live scope named on the command line (subscriptions are GUIDs, checked), else the settings'."""
    subscriptions = []
    for value in getattr(args, "subscription", None) or []:
        try:
            subscriptions.append(parse_guid(value))
        except ValueError:
            raise UsageError(f"--subscription {value!r} is not a subscription id (a GUID)") from None
    if subscriptions or getattr(args, "management_group", None):
        return Scope(subscriptions=tuple(subscriptions), management_group=args.management_group)
    if settings.subscriptions or settings.management_group:
        return Scope(subscriptions=settings.subscriptions, management_group=settings.management_group)
    raise UsageError(NO_SOURCE)


def is_live(args: argparse.Namespace) -> bool:
    return not (getattr(args, "simulated", False) or getattr(args, "snapshot", None))


def sign_in(ctx: Context, settings: Settings) -> None:
    """One token before any work, so that a missing login is one line and not a failure deep inside."""
    with ctx.steps.step("signing in to Azure"):
        login.check(settings.arm_endpoint, settings.managed_identity_client_id)


@contextlib.contextmanager
def inventory(args: argparse.Namespace, ctx: Context, settings: Settings) -> Iterator[Inventory]:
    if args.simulated:
        with compose.simulated_inventory(deep=args.deep) as simulated:
            yield simulated
        return
    if args.snapshot:
        # Windows PowerShell writes UTF-16 with a BOM; the stream is decoded by what it announces.
        if args.snapshot == "-":
            yield ListInventory(iter_resources(stdin_text(ctx.stdin), name="<stdin>"), source=Source.SNAPSHOT)
            return
        with open_text(Path(args.snapshot)) as stream:
            yield ListInventory(iter_resources(stream, name=args.snapshot), source=Source.SNAPSHOT)
        return
    live_scope = scope(args, settings)
    sign_in(ctx, settings)
    with compose.live_inventory(
        live_scope, deep=args.deep, endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id
    ) as live:
        yield live
