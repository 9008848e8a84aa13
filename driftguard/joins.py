"""What a judgement or a fix needs besides the resource it is about, read through the engine's reader.

A Machine Learning project inherits its network settings from its hub: judging the project needs the
hub, and fixing it PATCHes the hub, so both read it (the fix right before it writes). The event path and
the approval desk plan through `plan_context`, so that they plan alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from driftguard.azure import api_versions
from driftguard.azure.role_definitions import RoleDefinitions
from driftguard.azure.writes import WriteFailed
from driftguard.ids import InvalidResourceId, fold, identity_principals, normalize_guid, parse_resource_id
from driftguard.inventory import InventoryError
from driftguard.model import Reader
from driftguard.policy import Policy
from driftguard.rules.gateway import approved_private_endpoints, gateway_sources, is_ai_backend, key_credentials
from driftguard.rules.machinelearning_workspace_public_network_access_disabled import hub_id
from remediations.base import PlanContext


def read_hub(resource: Mapping[str, Any], read: Reader) -> Mapping[str, Any] | None:
    """The hub a project names, as ARM has it now; None for other workspaces, a hub that is gone or an
    id that is not one."""
    return _read_named(hub_id(resource), read, api_versions.MACHINE_LEARNING)


def read_gateway(resource: Mapping[str, Any], read: Reader, *, policy: Policy) -> Mapping[str, Any] | None:
    """The gateway (API Management service) the policy puts in front of an AI account, as ARM has it
    now; None for accounts no gateway fronts, a gateway that is gone or an id that is not one."""
    if str(resource.get("type", "")).lower() != "microsoft.cognitiveservices/accounts":
        return None
    return _read_named(policy.gateways.gateway_of(str(resource.get("id", ""))), read, api_versions.API_MANAGEMENT)


def _read_named(named: str | None, read: Reader, api_version: str) -> Mapping[str, Any] | None:
    """The resource another one names (a hub, a gateway), read by its strictly parsed id: never a path
    built from the naming resource's text; None for no name or one that is not an id."""
    if named is None:
        return None
    try:
        parsed = parse_resource_id(named)
    except InvalidResourceId:
        return None
    return read(str(parsed), api_version)


def read_gateway_roles(resource: Mapping[str, Any], read: Reader, *, policy: Policy) -> tuple[Mapping[str, Any], ...] | None:
    """The role assignments of a gateway's managed identities in its subscription and in every
    subscription that holds an account it fronts (`principalId eq` lists them at, above and below it in
    each; `GatewayPolicy.subscriptions_of`). None when they cannot all be read (a second page, which the
    reader cannot follow, or an id that is not one): the rule that needs them is then not evaluated."""
    try:
        parsed = parse_resource_id(str(resource.get("id", "")))
    except InvalidResourceId:
        return None
    if parsed.subscription is None or not isinstance(resource.get("identity"), Mapping):
        return None
    subscriptions = dict.fromkeys([parsed.subscription.lower(), *policy.gateways.subscriptions_of(str(resource.get("id", "")))])
    found: dict[str, Mapping[str, Any]] = {}
    for principal in sorted(identity_principals(resource)):
        for subscription in subscriptions:
            sub = normalize_guid(subscription)
            if sub is None:
                return None  # not a subscription id: its roles cannot be listed, so they are not known
            # The filter is built from parsed GUIDs only; azure-core keeps it as the query beside api-version.
            path = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq '{principal}'"
            body = read(path, api_versions.AUTHORIZATION)
            if body is None or body.get("nextLink"):
                return None
            for a in body.get("value") or []:
                if isinstance(a, Mapping):
                    found.setdefault(fold(str(a.get("id", ""))), a)
    return tuple(found.values())


def read_private_endpoints(resource: Mapping[str, Any], read: Reader) -> tuple[Mapping[str, Any], ...]:
    """The private endpoints (`Microsoft.Network/privateEndpoints`) an account's approved connections
    name, one read each, as ARM has them now. One that cannot be read (gone, refused, not an id) is
    left out: the rule then says "not evaluated" for it, never that it is the gateway's."""
    found: list[Mapping[str, Any]] = []
    for endpoint in dict.fromkeys(approved_private_endpoints(resource)):
        try:
            parsed = parse_resource_id(endpoint)
            if parsed.full_type.lower() != "microsoft.network/privateendpoints":
                continue
            body = read(str(parsed), api_versions.NETWORK)
        except (InvalidResourceId, InventoryError, WriteFailed):
            continue  # refused (no read right in its subscription, say): not known; a transient error raises
        if body is not None:
            found.append(body)
    return tuple(found)


def gateway_addresses(resource: Mapping[str, Any], read: Reader, *, policy: Policy) -> list[dict[str, Any]]:
    """Every AI gateway the policy declares (`gateways.fronted`), read now: its id, whether it fronts
    `resource`, and its public and outbound addresses (None when it cannot be read; an empty list for a
    gateway that is gone). What a fix that takes an address out of an account's reach must never take."""
    fronting = policy.gateways.gateway_of(str(resource.get("id", "")))
    found: list[dict[str, Any]] = []
    for gateway in dict.fromkeys(fold(f.gateway) for f in policy.gateways.fronted):
        fronts = fronting is not None and fold(fronting) == gateway
        addresses: list[str] | None
        try:
            body = read(str(parse_resource_id(gateway)), api_versions.API_MANAGEMENT)
        except (InvalidResourceId, InventoryError):
            addresses = None
        else:
            # A gateway that is gone has no address to keep, unless it is the one the policy puts in front.
            addresses = sorted(gateway_sources(body)[0]) if body is not None else (None if fronts else [])
        found.append({"gateway": gateway, "fronts": fronts, "addresses": addresses})
    return found


def read_role_definitions(assignments: tuple[Mapping[str, Any], ...], definitions: RoleDefinitions) -> tuple[Mapping[str, Any], ...]:
    """The definitions of the roles `assignments` name, each read once where the assignment says it is
    (a custom role lives in a subscription or management group) through the caller's cache; those that
    cannot be read are left out (the rule that needs one then reports the assignment as not evaluated)."""
    found = definitions.by_guid(
        a.get("properties", {}).get("roleDefinitionId") for a in assignments if isinstance(a.get("properties"), Mapping)
    )
    return tuple(d for d in found.values() if d is not None)


def gateways_sending_key(resource: Mapping[str, Any], read: Reader, *, policy: Policy) -> list[str]:
    """The names of the gateways in front of an AI account whose backend to it sends an account key
    (`api-key` in its credentials): a fix that rotates or disables the keys cuts them off (401) until
    they call with their managed identity. A gateway whose backends cannot be listed is named too: a
    key plan must not promise that no gateway breaks."""
    if str(resource.get("type", "")).lower() != "microsoft.cognitiveservices/accounts":
        return []
    named = policy.gateways.gateway_of(str(resource.get("id", "")))
    if named is None:
        return []
    try:
        gateway = parse_resource_id(named)
        listing = read(f"{gateway}/backends", api_versions.API_MANAGEMENT)
    except (InvalidResourceId, InventoryError):
        return [f"{named.rstrip('/').rsplit('/', 1)[-1]} (its backends could not be read)"]
    if listing is None:
        return []
    account = fold(str(resource.get("id", "")))
    props = resource.get("properties") if isinstance(resource.get("properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    sub = str(props.get("customSubDomainName") or "").lower()
    hosts = {h for h in (_host(props.get("endpoint")), *(f"{sub}.{d}" for d in _AI_DOMAINS if sub)) if h}
    for backend in listing.get("value") or []:
        b = backend.get("properties") if isinstance(backend, Mapping) and isinstance(backend.get("properties"), Mapping) else {}
        assert isinstance(b, Mapping)
        if not is_ai_backend(b) or not key_credentials(b):
            continue
        target = fold(str(b.get("resourceId") or ""))
        if (account and target.endswith(account)) or _host(b.get("url")) in hosts:
            return [str(gateway).rsplit("/", 1)[-1]]
    return []


_AI_DOMAINS = ("openai.azure.com", "cognitiveservices.azure.com", "services.ai.azure.com")


def _host(url: Any) -> str:
    try:
        return (urlsplit(str(url or "")).hostname or "").lower()
    except ValueError:
        return ""


def plan_context(
    resource: Mapping[str, Any], read: Reader, *, policy: Policy, baseline: Mapping[str, Any] | None, evidence: Mapping[str, Any]
) -> PlanContext:
    """The context a remediation plans `resource` with: the rule's evidence, the hub for a project, the
    AI gateways' addresses for a fix that blocks an address (`ip_address` in the evidence), and the
    gateways in front of an account that call it with its key (`key_gateways`)."""
    extra = dict(evidence)
    if hub_id(resource) is not None:
        extra["hub"] = read_hub(resource, read)
    if key_gateways := gateways_sending_key(resource, read, policy=policy):
        extra["key_gateways"] = key_gateways
    if "ip_address" in evidence:
        extra["gateways"] = gateway_addresses(resource, read, policy=policy)
    return PlanContext(policy=policy, baseline=baseline, extra=extra)
