"""Strict parsing of ARM resource ids.

Event content is untrusted: an id that reaches the engine has passed this parser, and requests are
built from its parsed parts, never from the raw text. Anything unusual is refused with the reason:
empty or dot segments, percent-encoding, whitespace or control characters, query or fragment
characters, a subscription that is not a GUID, an odd number of type/name segments.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 2048
# Characters ARM names may hold: letters and digits (resource group names may be Unicode), - _ . ( )
# and a few that some providers allow. Never whitespace, control characters, % ? # \ or /.
_SEGMENT = re.compile(r"[\w\-.()~@:+,=]+")
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+")


def fold(text: str) -> str:
    """The case-folded form of an ARM id (or a part of one, or an id pattern), for comparing and keying.

    ARM compares ids as .NET's OrdinalIgnoreCase does: each character by its simple (one-to-one)
    upper-case mapping, and never a non-ASCII character equal to an ASCII one. `str.lower()` is not
    that: it maps KELVIN SIGN (U+212A) to `k` and 'İ' (U+0130) to two characters, so two ids ARM keeps
    apart would share a key here (an exemption written for one would cover the other). ASCII ids, all
    of them in practice, fold as `lower()` does, so stored keys do not change.
    """
    return text.lower() if text.isascii() else "".join(map(_fold_char, text))


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char.isascii():
        return char.lower()
    upper = _simple_upper(char)
    if upper.isascii():
        return char  # ı and ſ: ARM never equates them with I and S
    lower = upper.lower()
    # The lower-case form stands for the class (so that keys stay what `lower()` made them) unless it
    # belongs to another class (KELVIN SIGN lowers to `k`, whose upper case is `K`): then the upper does.
    if len(lower) == 1 and not lower.isascii() and _simple_upper(lower) == upper:
        return lower
    return upper


def _simple_upper(char: str) -> str:
    """Unicode's simple (one-to-one) upper-case mapping. Python applies the full one, which may give
    several characters (ß -> SS): then the simple mapping is the character itself, except for the Greek
    letters with ypogegrammeni, whose simple upper case is their title case."""
    upper = char.upper()
    if len(upper) == 1:
        return upper
    title = char.title()
    return title if len(title) == 1 else char


class InvalidResourceId(ValueError):
    """The text is not an ARM resource id this engine will act on; the message says why."""


def normalize_guid(value: str) -> str | None:
    """A GUID in canonical lower-case dashed form (events sometimes drop the dashes), or None."""
    text = value.strip()
    if not text or len(text) > 40:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ResourceId:
    """A parsed ARM id. `types`/`names` are the type and name segments after the last provider
    namespace; `parent` is the id an extension resource (role assignment, diagnostic setting) hangs on."""

    subscription: str | None
    resource_group: str | None
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]
    parent: ResourceId | None = None
    management_group: str | None = None

    @property
    def full_type(self) -> str:
        return "/".join((self.namespace, *self.types))

    @property
    def name(self) -> str:
        return self.names[-1]

    def __str__(self) -> str:
        """The canonical id text, rebuilt from the parsed parts."""
        if self.parent is not None:
            base = str(self.parent)
        elif self.management_group is not None:
            base = f"/providers/Microsoft.Management/managementGroups/{self.management_group}"
        elif self.subscription is None:
            base = ""  # tenant level
        else:
            base = f"/subscriptions/{self.subscription}"
            if self.resource_group is not None:
                base += f"/resourceGroups/{self.resource_group}"
        pairs = "".join(f"/{t}/{n}" for t, n in zip(self.types, self.names, strict=True))
        return f"{base}/providers/{self.namespace}{pairs}"

    def up(self) -> ResourceId | None:
        """The resource this child belongs to (`accounts/a` for `accounts/a/privateEndpointConnections/c`),
        or None for a top-level type."""
        if len(self.types) < 2:
            return None
        return ResourceId(
            self.subscription, self.resource_group, self.namespace, self.types[:-1], self.names[:-1], self.parent, self.management_group
        )

    @property
    def key(self) -> str:
        """Case-insensitive identity, as ARM compares ids (see `fold`)."""
        return fold(str(self))


def parse_resource_id(text: object) -> ResourceId:
    if not isinstance(text, str):
        raise InvalidResourceId(f"a resource id must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise InvalidResourceId(f"resource id longer than {MAX_LENGTH} characters")
    if not text.startswith("/"):
        raise InvalidResourceId(f"resource id {text[:80]!r} does not start with '/'")
    parts = text[1:].split("/")
    if parts and parts[-1] == "":
        parts.pop()  # one trailing slash is tolerated
    for p in parts:
        if not p:
            raise InvalidResourceId(f"resource id {text[:80]!r} has an empty segment")
        if p in (".", ".."):
            raise InvalidResourceId(f"resource id {text[:80]!r} has a '{p}' segment")
        if not _SEGMENT.fullmatch(p):  # fullmatch: `$` would let a trailing newline through
            raise InvalidResourceId(f"resource id {text[:80]!r} has a segment with characters an ARM id cannot hold: {p[:40]!r}")

    low = [fold(p) for p in parts]
    i = 0
    subscription = resource_group = management_group = None
    if low[:1] == ["subscriptions"]:
        if len(parts) < 2 or (subscription := normalize_guid(parts[1])) is None:
            raise InvalidResourceId(f"resource id {text[:80]!r}: the subscription is not a GUID")
        i = 2
        if low[i : i + 1] == ["resourcegroups"]:
            if len(parts) < i + 2:
                raise InvalidResourceId(f"resource id {text[:80]!r}: resource group without a name")
            resource_group = parts[i + 1]
            i += 2
    elif low[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) >= 4:
        management_group = parts[3]
        i = 4
    elif low[:1] == ["providers"]:
        i = 0  # a tenant-level resource, such as a built-in role definition
    else:
        raise InvalidResourceId(f"resource id {text[:80]!r} starts with neither /subscriptions/, a management group nor /providers/")

    result: ResourceId | None = None
    while i < len(parts):
        if low[i] != "providers":
            raise InvalidResourceId(f"resource id {text[:80]!r}: expected 'providers' at segment {i + 1}, found {parts[i][:40]!r}")
        namespace = parts[i + 1] if i + 1 < len(parts) else ""
        if not _NAMESPACE.fullmatch(namespace):
            raise InvalidResourceId(f"resource id {text[:80]!r}: {namespace[:40]!r} is not a provider namespace")
        j = i + 2
        rest: list[str] = []
        while j < len(parts) and low[j] != "providers":
            rest.append(parts[j])
            j += 1
        if not rest or len(rest) % 2:
            raise InvalidResourceId(f"resource id {text[:80]!r}: type and name segments do not pair up under {namespace}")
        result = ResourceId(
            subscription=subscription,
            resource_group=resource_group,
            namespace=namespace,
            types=tuple(rest[0::2]),
            names=tuple(rest[1::2]),
            parent=result,
            management_group=management_group if result is None else None,
        )
        i = j
    if result is None:
        raise InvalidResourceId(f"resource id {text[:80]!r} names a scope, not a resource")
    return result


def identity_principals(resource: Mapping[str, Any]) -> frozenset[str]:
    """The object ids (lower case) of a resource's managed identities: system- and user-assigned."""
    identity = resource.get("identity")
    if not isinstance(identity, Mapping):
        return frozenset()
    ids = [identity.get("principalId")]
    users = identity.get("userAssignedIdentities")
    if isinstance(users, Mapping):
        ids += [u.get("principalId") for u in users.values() if isinstance(u, Mapping)]
    return frozenset(g for raw in ids if isinstance(raw, str) and (g := normalize_guid(raw)) is not None)
