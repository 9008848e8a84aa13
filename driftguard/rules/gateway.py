"""What the AI-gateway rules share: the joined data's names, and how a backend or a header is read.

A gateway is an API Management service. The policy file says which AI accounts sit behind which gateway
(`gateways.fronted`); the engine joins the gateway's resource to each account it fronts (`GATEWAY`), and
the gateway's identity's role assignments to the gateway (`GATEWAY_ROLE_ASSIGNMENTS`), with the definitions of
the roles they name (`GATEWAY_ROLE_DEFINITIONS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from driftguard.rules.base import prop

SERVICE = "microsoft.apimanagement/service"
BACKEND = "microsoft.apimanagement/service/backends"
NAMED_VALUE = "microsoft.apimanagement/service/namedvalues"
# Related-data kinds (keys of ResourceSnapshot.related).
GATEWAY = "gateway"
GATEWAY_ROLE_ASSIGNMENTS = "gatewayRoleAssignments"
# The definitions of the roles those assignments name (as read where each assignment says it is).
GATEWAY_ROLE_DEFINITIONS = "gatewayRoleDefinitions"
# The private endpoints (`Microsoft.Network/privateEndpoints`) an account's approved connections name, as
# read (one left out could not be): their `properties.subnet.id` says which network each is in.
PRIVATE_ENDPOINTS = "privateEndpoints"

# Hosts of AI accounts' endpoints (Azure OpenAI, AI Services, Foundry).
AI_HOST_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
# Headers and query parameters that carry an AI account's key (Azure OpenAI takes `api-key`, the other
# Cognitive Services `Ocp-Apim-Subscription-Key`).
KEY_HEADERS = frozenset({"api-key", "ocp-apim-subscription-key"})
KEY_QUERY = frozenset({"api-key", "subscription-key"})
_NAMED_VALUE_REF = re.compile(r"\{\{([^{}]+)\}\}")


def is_ai_backend(backend_props: Mapping[str, Any]) -> bool:
    """A backend that calls an AI account: its URL's host is an AI endpoint, or it names an account."""
    resource_id = str(prop(backend_props, "resourceId") or "").lower()
    if "/providers/microsoft.cognitiveservices/accounts/" in resource_id:
        return True
    try:
        host = (urlsplit(str(prop(backend_props, "url") or "")).hostname or "").lower()
    except ValueError:
        return False
    return host.endswith(AI_HOST_SUFFIXES)


def key_credentials(backend_props: Mapping[str, Any]) -> dict[str, list[str]]:
    """The key-carrying headers and query parameters of a backend's credentials, each value shown as
    the named value it references (`{{name}}`) or as `<literal>`: a key typed in is never repeated."""
    found: dict[str, list[str]] = {}
    for place, names in (("header", KEY_HEADERS), ("query", KEY_QUERY)):
        entries = prop(backend_props, "credentials", place)
        if not isinstance(entries, Mapping):
            continue
        for name, values in entries.items():
            if str(name).lower() not in names:
                continue
            shown = [_shown(v) for v in (values if isinstance(values, list) else [values])]
            found[f"{place}:{name}"] = shown
    return found


def _shown(value: Any) -> str:
    refs = _NAMED_VALUE_REF.findall(str(value))
    return " ".join(f"{{{{{r.strip()}}}}}" for r in refs) if refs else "<literal>"


def gateway_sources(gateway: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """Where a gateway's calls to a model come from, in every region it runs in (the primary location
    and each of `additionalLocations`, as azure-mgmt-apimanagement's ApiManagementServiceResource and
    AdditionalLocation carry them): its public addresses (classic tiers call out from
    `publicIPAddresses`; v2 tiers list `outboundPublicIPAddresses`) and, where it is injected in a VNet,
    its subnet (folded as ARM compares ids)."""
    props = gateway.get("properties") if isinstance(gateway.get("properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    regions: list[Mapping[str, Any]] = [props]
    extra = prop(props, "additionalLocations")
    if isinstance(extra, list):
        regions += [r for r in extra if isinstance(r, Mapping)]
    addresses: set[str] = set()
    subnets: set[str] = set()
    for region in regions:
        for key in ("publicIPAddresses", "outboundPublicIPAddresses"):
            value = prop(region, key)
            if isinstance(value, list):
                addresses.update(str(a).strip() for a in value if isinstance(a, str))
        subnet = prop(region, "virtualNetworkConfiguration", "subnetResourceId")
        if isinstance(subnet, str) and subnet:
            subnets.add(subnet.lower().rstrip("/"))
    return frozenset(addresses), frozenset(subnets)


def virtual_network_of(subnet_id: str) -> str:
    """`…/virtualNetworks/{v}/subnets/{s}` -> `…/virtualNetworks/{v}` (folded)."""
    lowered = subnet_id.lower().rstrip("/")
    at = lowered.find("/subnets/")
    return lowered[:at] if at > 0 else lowered


def approved_private_endpoints(resource: Mapping[str, Any]) -> list[str]:
    """The private endpoints an account's approved connections name (a connection with no state is
    taken as approved: it may let traffic in)."""
    found: list[str] = []
    connections = (
        (resource.get("properties") or {}).get("privateEndpointConnections") if isinstance(resource.get("properties"), Mapping) else None
    )
    for c in connections if isinstance(connections, list) else []:
        props = c.get("properties") if isinstance(c, Mapping) else None
        if not isinstance(props, Mapping):
            continue
        state = props.get("privateLinkServiceConnectionState")
        status = state.get("status") if isinstance(state, Mapping) else None
        endpoint = props.get("privateEndpoint")
        pe = endpoint.get("id") if isinstance(endpoint, Mapping) else None
        if str(status or "Approved").lower() == "approved" and isinstance(pe, str) and pe:
            found.append(pe)
    return found
