"""Role definitions, read where the assignment says they are.

An assignment names its definition by full id: `/subscriptions/{s}/providers/Microsoft.Authorization/
roleDefinitions/{guid}` for roles assignable in a subscription (custom roles live there, or at a
management group), `/providers/…/roleDefinitions/{guid}` at the tenant for built-in ones. That id is
what is read (`RoleDefinitions_GetById`); the tenant path does not serve custom roles. Definitions change
(`roleDefinitions/write`), so a definition is kept a few minutes at most: long enough that the many
assignments sharing a role cost one read, short enough that a widened role is seen soon.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.ids import InvalidResourceId, parse_resource_id
from driftguard.model import Reader
from driftguard.rules.roles import role_guid

TTL_SECONDS = 300.0


class RoleDefinitions:
    def __init__(self, read: Reader, *, ttl_s: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._read = read
        self._ttl = ttl_s
        self._clock = clock
        self._kept: dict[str, tuple[float, Mapping[str, Any] | None]] = {}

    def get(self, definition_id: object) -> Mapping[str, Any] | None:
        """The definition an assignment's `roleDefinitionId` names, or None (unknown, or not an id)."""
        try:
            parsed = parse_resource_id(definition_id)
        except InvalidResourceId:
            return None
        key, now = parsed.key, self._clock()
        kept = self._kept.get(key)
        if kept is None or now - kept[0] > self._ttl:
            kept = (now, self._read(str(parsed), api_versions.AUTHORIZATION))
            self._kept[key] = kept
        return kept[1]

    def forget(self, definition_id: object) -> None:
        """A definition changed (a `roleDefinitions/write` event): the next read of it, through any id
        that names it, goes to ARM."""
        guid = role_guid(definition_id)
        for key in [k for k in self._kept if guid and role_guid(k) == guid]:
            del self._kept[key]

    def by_guid(self, definition_ids: Iterable[object]) -> dict[str, Mapping[str, Any] | None]:
        """GUID -> definition for every id given: one read per GUID (a definition's GUID is unique in the
        tenant, whichever scope names it), through an id that names it; the next one if that one is
        not found."""
        named: dict[str, list[object]] = {}
        for definition_id in definition_ids:
            guid = role_guid(definition_id)
            if guid and definition_id not in named.setdefault(guid, []):
                named[guid].append(definition_id)
        found: dict[str, Mapping[str, Any] | None] = {}
        for guid, ids in sorted(named.items()):
            found[guid] = next((d for d in map(self.get, ids) if d is not None), None)
        return found
