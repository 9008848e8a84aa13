"""Who is calling the approval API: the App Service Authentication (Easy Auth) principal.

Easy Auth validates the Entra token in front of the app and passes the caller's claims in the
`X-MS-CLIENT-PRINCIPAL` header (base64 JSON). Outside Easy Auth anyone can send that header, so it is
trusted only when the platform says Easy Auth is on (`WEBSITE_AUTH_ENABLED=True`); otherwise every
request is refused (fail closed).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from driftguard.cases import Refused
from driftguard.nesting import TooDeep, parse

PRINCIPAL_HEADER = "x-ms-client-principal"
# App roles arrive under the short claim name or the long URI, depending on the claim mapping.
ROLE_CLAIMS = ("roles", "role", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
NAME_CLAIMS = ("name", "preferred_username", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")
# Claims that may hold the caller's sign-in name (UPN): matched against the UPNs an alert names.
UPN_CLAIMS = ("upn", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "preferred_username", "unique_name")
MAX_HEADER = 16_384


class Role(StrEnum):
    APPROVER = "DriftGuard.Approver"
    READER = "DriftGuard.Reader"


class AuthError(Refused):
    """The caller may not go on: 401 (who are you?) or 403 (not allowed)."""


@dataclass(frozen=True, slots=True)
class Principal:
    object_id: str
    name: str
    roles: frozenset[str]
    # The caller's sign-in names (lower case), from the UPN claims and a name claim that is one.
    upns: frozenset[str] = frozenset()

    @property
    def identities(self) -> frozenset[str]:
        """Every name of the caller a case's causers may hold: the object id and the sign-in names."""
        return frozenset({self.object_id.lower(), *self.upns})

    def can(self, role: Role) -> bool:
        # An approver can read what it approves.
        return role.value in self.roles or (role is Role.READER and Role.APPROVER.value in self.roles)


def easy_auth_enabled(environ: Mapping[str, str]) -> bool:
    """App Service sets WEBSITE_AUTH_ENABLED=True when authentication is on for the app."""
    return environ.get("WEBSITE_AUTH_ENABLED", "").strip().lower() == "true"


def parse_principal(header: str) -> Principal:
    """The principal in an Easy Auth header, or AuthError(401) naming what is wrong with it."""
    if len(header) > MAX_HEADER:
        raise AuthError(401, "the client principal header is too large")
    try:
        data = parse(json.loads, base64.b64decode(header, validate=True), "the client principal header")
    except TooDeep as e:
        raise AuthError(401, str(e)) from e
    except (binascii.Error, ValueError) as e:
        raise AuthError(401, "the client principal header is not base64 JSON") from e
    claims = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(claims, list):
        raise AuthError(401, "the client principal header has no claims")
    role_types = {*ROLE_CLAIMS, str(data.get("role_typ") or "")}
    name_types = (str(data.get("name_typ") or ""), *NAME_CLAIMS)
    values: dict[str, list[str]] = {}
    for claim in claims:
        if isinstance(claim, dict) and isinstance(claim.get("typ"), str) and isinstance(claim.get("val"), str):
            values.setdefault(claim["typ"], []).append(claim["val"])
    object_id = next((values[t][0] for t in OBJECT_ID_CLAIMS if values.get(t)), "")
    if not object_id:
        raise AuthError(401, "the client principal has no object id claim")
    name = next((values[t][0] for t in name_types if values.get(t)), object_id)
    roles = frozenset(v for t in role_types if t for v in values.get(t, ()))
    named = [v for t in (*UPN_CLAIMS, *name_types) if t for v in values.get(t, ())]
    upns = frozenset(v.strip().lower() for v in named if "@" in v)
    return Principal(object_id.lower(), name, roles, upns)


def authenticate(headers: Mapping[str, str], *, easy_auth: bool, role: Role) -> Principal:
    """The caller, allowed `role`; AuthError otherwise. `headers` keys are lower-case."""
    if not easy_auth:
        # Without Easy Auth in front, the principal header could come from anyone.
        raise AuthError(401, "App Service Authentication is not enabled for this app: every request is refused")
    header = headers.get(PRINCIPAL_HEADER)
    if not header:
        raise AuthError(401, "not signed in (no client principal)")
    principal = parse_principal(header)
    if not principal.can(role):
        raise AuthError(403, f"the app role {role.value} is required")
    return principal


def encode_principal(object_id: str, name: str, roles: tuple[str, ...], *, long_role_claim: bool = False) -> str:
    """An Easy Auth header value, as App Service builds it (for tests and local runs behind a proxy)."""
    role_type = ROLE_CLAIMS[2] if long_role_claim else "roles"
    claims = [
        {"typ": OBJECT_ID_CLAIMS[0], "val": object_id},
        {"typ": "name", "val": name},
        *({"typ": role_type, "val": r} for r in roles),
    ]
    body = {"auth_typ": "aad", "claims": claims, "name_typ": NAME_CLAIMS[2], "role_typ": ROLE_CLAIMS[2]}
    return base64.b64encode(json.dumps(body).encode()).decode()
