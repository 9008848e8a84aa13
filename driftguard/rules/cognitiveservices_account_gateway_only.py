"""An AI account the policy puts behind a gateway takes traffic only from that gateway: public network
access disabled (private endpoints only), or the network ACLs deny by default and let in only the
gateway's public addresses or its subnet. Otherwise callers skip the gateway, and with it its
authentication, token limits, logging and content checks ("gateway bypass").

A private endpoint from another network is a bypass too, whatever public network access says (a
private endpoint is not subject to the network ACLs, which govern the public endpoint only). An
approved private endpoint connection names the endpoint, not its network: the endpoint resource is read
(`Microsoft.Network/privateEndpoints`, its `properties.subnet.id`). One in a subnet of the gateway's
virtual network passes; one elsewhere is a finding (so is every approved one when the gateway is in no
virtual network); one that could not be read is "not evaluated", never "compliant"."""

from __future__ import annotations

import ipaddress

from driftguard.ids import fold
from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, prop, prop_list, same
from driftguard.rules.gateway import GATEWAY, PRIVATE_ENDPOINTS, gateway_sources, virtual_network_of
from driftguard.rules.roles import one

META = RuleMeta(
    id="cognitiveservices_account_gateway_only",
    title="AI accounts behind a gateway accept traffic only from the gateway",
    severity=Severity.HIGH,
    resource_types=("Microsoft.CognitiveServices/accounts",),
    seed_section="Deny inbound internet access; secure external access through an AI gateway",
    # No automatic fix: closing an account to everyone but the gateway breaks every client that still
    # calls it directly. The case says exactly what to set.
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference("azure-policy", "037eea7a-bd0a-46c5-9a66-03aea78705d3", "Azure AI Services resources should restrict network access"),
        Reference("mcsb", "NS-2", "Secure cloud services with network controls"),
        Reference("mitre-atlas", "AML.T0049", "Exploit Public-Facing Application"),
        Reference("owasp-llm", "LLM10", "Unbounded Consumption"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    gateway_id = context.policy.gateways.gateway_of(snapshot.id)
    if gateway_id is None:
        return []  # not fronted: the account's own network rules judge it
    props = snapshot.properties
    pna = prop(props, "publicNetworkAccess")
    if same(pna, "Disabled"):
        return _private_endpoints(context, snapshot, gateway_id)
    default_action = prop(props, "networkAcls", "defaultAction")
    name = gateway_id.rstrip("/").rsplit("/", 1)[-1]
    guidance = (
        f"set publicNetworkAccess to Disabled and reach the account from {name} through a private endpoint, "
        "or deny by default and allow only the gateway's addresses or subnet"
    )
    # Absent publicNetworkAccess means Enabled; absent defaultAction means Allow (service defaults).
    if not same(default_action, "Deny"):
        return [
            _finding(
                context,
                snapshot,
                f"gateway bypass: the account sits behind the gateway {name} but accepts traffic from anywhere: {guidance}",
                {"gateway": gateway_id, "publicNetworkAccess": pna, "networkAcls.defaultAction": default_action},
            )
        ]
    ip_rules = [str(prop(r, "value") or "") for r in prop_list(props, "networkAcls", "ipRules")]
    subnets = [str(prop(r, "id") or "") for r in prop_list(props, "networkAcls", "virtualNetworkRules")]
    if not ip_rules and not subnets:
        # Nothing gets in over the public endpoint; private endpoints are not subject to the ACLs.
        return _private_endpoints(context, snapshot, gateway_id)
    gateway = one(snapshot.related, GATEWAY)
    if gateway is None:
        raise NotEvaluable(f"the gateway {gateway_id} was not read: the addresses its calls come from are unknown")
    addresses, gateway_subnets = gateway_sources(gateway)
    stray_ips = [v for v in ip_rules if not _only_gateway(v, addresses)]
    stray_subnets = [s for s in subnets if s.lower().rstrip("/") not in gateway_subnets]
    if not stray_ips and not stray_subnets:
        return _private_endpoints(context, snapshot, gateway_id)
    return [
        _finding(
            context,
            snapshot,
            f"gateway bypass: the account sits behind the gateway {name} but its network rules also let in "
            f"{', '.join([*stray_ips, *stray_subnets])}: {guidance}",
            {"gateway": gateway_id, "ipRules": stray_ips, "virtualNetworkRules": stray_subnets},
        )
    ]


def _private_endpoints(context: RuleContext, snapshot: ResourceSnapshot, gateway_id: str) -> list[Finding]:
    """Each approved private endpoint must be in the gateway's network (judged with public network access
    disabled or enabled alike: the network ACLs do not apply to private endpoints)."""
    approved = [
        str(prop(c, "properties", "privateEndpoint", "id") or prop(c, "id") or "")
        for c in prop_list(snapshot.properties, "privateEndpointConnections")
        if same(prop(c, "properties", "privateLinkServiceConnectionState", "status") or "Approved", "Approved")
    ]
    if not approved:
        return []  # nothing reaches the account
    gateway = one(snapshot.related, GATEWAY)
    if gateway is None:
        raise NotEvaluable(f"the gateway {gateway_id} was not read: whether the account's private endpoints are its own is unknown")
    _, subnets = gateway_sources(gateway)
    name = gateway_id.rstrip("/").rsplit("/", 1)[-1]
    if not subnets:
        return [
            _finding(
                context,
                snapshot,
                f"gateway bypass: the account sits behind the gateway {name}, which is in no virtual network, but takes "
                f"traffic from private endpoint(s) {', '.join(approved)}: none of them is the gateway's; remove them or "
                "inject the gateway in the network they are in",
                {"gateway": gateway_id, "privateEndpoints": approved, "gatewayNetworks": []},
            )
        ]
    networks = {virtual_network_of(s) for s in subnets}
    read = {fold(str(e.get("id", ""))): e for e in snapshot.related.get(PRIVATE_ENDPOINTS, ())}
    stray: list[str] = []
    stray_subnets: list[str] = []
    unread: list[str] = []
    for endpoint in approved:
        body = read.get(fold(endpoint))
        subnet = prop(body, "properties", "subnet", "id") if body is not None else None
        if not isinstance(subnet, str) or not subnet:
            unread.append(endpoint)
        elif virtual_network_of(subnet) not in networks:
            stray.append(endpoint)
            stray_subnets.append(subnet)
    if stray:
        evidence: dict[str, object] = {
            "gateway": gateway_id,
            "privateEndpoints": stray,
            "privateEndpointSubnets": stray_subnets,
            "gatewayNetworks": sorted(networks),
        }
        if unread:
            evidence["not_evaluated"] = unread
        return [
            _finding(
                context,
                snapshot,
                f"gateway bypass: the account sits behind the gateway {name} but takes traffic from private endpoint(s) "
                f"{', '.join(stray)} in another network ({', '.join(stray_subnets)}), not the gateway's "
                f"({', '.join(sorted(networks))}): remove them, or reach the account through the gateway's network only",
                evidence,
            )
        ]
    if unread:
        raise NotEvaluable(
            f"private endpoint(s) {', '.join(unread)} reach the account and could not be read: whether each is in the "
            f"gateway's network ({', '.join(sorted(networks))}) is unknown"
        )
    return []  # every approved private endpoint is in the gateway's virtual network


def _only_gateway(rule: str, addresses: frozenset[str]) -> bool:
    """An IP rule lets in only the gateway when it is one of the gateway's addresses (or its /32)."""
    try:
        net = ipaddress.ip_network(rule.strip(), strict=False)
    except ValueError:
        return False
    return net.num_addresses == 1 and str(net.network_address) in addresses


def _finding(context: RuleContext, snapshot: ResourceSnapshot, message: str, evidence: dict[str, object]) -> Finding:
    return context.finding(META, snapshot, message, evidence)
