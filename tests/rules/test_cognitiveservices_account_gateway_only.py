import pytest

from driftguard.policy import FrontedAccounts, GatewayPolicy, Policy
from driftguard.rules import cognitiveservices_account_gateway_only as rule
from driftguard.rules.gateway import GATEWAY, PRIVATE_ENDPOINTS
from simulator import builders as b
from tests.rules.helpers import run, with_value, without

SUB = "33333333-3333-4333-8333-333333333333"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg-gw/providers/Microsoft.Network/virtualNetworks/vnet-ai/subnets/snet-apim"
APIM = b.apim_service(SUB, "rg-gw", "apim-ai", public_ips=["20.85.16.101"], subnet=SUBNET)
FRONTED = Policy(gateways=GatewayPolicy(fronted=(FrontedAccounts(gateway=APIM["id"], accounts=("*/accounts/oai-*",)),)))


def account(**kw: object) -> dict[str, object]:
    return b.cognitive_account(SUB, "rg-ai", "oai-prod", **kw)  # type: ignore[arg-type]


def test_accounts_not_behind_a_gateway_are_not_judged() -> None:
    assert run(rule, account(public=True, default_action="Allow")) == []
    other = b.cognitive_account(SUB, "rg-ai", "lab", public=True, default_action="Allow")
    assert run(rule, other, policy=FRONTED) == []


PE = f"/subscriptions/{SUB}/resourceGroups/rg-dev/providers/Microsoft.Network/privateEndpoints/pe-dev"


def test_private_endpoints_only_without_any_passes() -> None:
    assert run(rule, account(), policy=FRONTED) == []  # public access disabled, no private endpoint


def test_a_private_endpoint_is_never_taken_as_the_gateways_unchecked() -> None:
    # A private endpoint from another network bypasses the gateway too. The connection names the
    # endpoint, not its network: with the gateway in a VNet, the rule says "not evaluated" and why.
    with pytest.raises(rule.NotEvaluable, match=r"pe-dev.*vnet-ai"):
        run(rule, account(private_endpoints=[PE]), policy=FRONTED, related={GATEWAY: [APIM]})
    with pytest.raises(rule.NotEvaluable, match="was not read"):
        run(rule, account(private_endpoints=[PE]), policy=FRONTED)
    # A gateway in no VNet cannot own a private endpoint: every approved one is a bypass.
    outside = b.apim_service(SUB, "rg-gw", "apim-ai", public_ips=["20.85.16.101"])
    [f] = run(rule, account(private_endpoints=[PE]), policy=FRONTED, related={GATEWAY: [outside]})
    assert f.evidence["privateEndpoints"] == [PE]
    # A connection that is not approved lets nothing in.
    pending = account(private_endpoints=[PE])
    pending["properties"]["privateEndpointConnections"][0]["properties"]["privateLinkServiceConnectionState"]["status"] = "Pending"  # type: ignore[index]
    assert run(rule, pending, policy=FRONTED, related={GATEWAY: [outside]}) == []


def test_a_private_endpoint_from_elsewhere_is_judged_with_public_access_enabled_too() -> None:
    # Private endpoints are not subject to networkAcls: denying by default (with no IP rule, or only the
    # gateway's address) does not stop an approved private endpoint from another network.
    outside = b.apim_service(SUB, "rg-gw", "apim-ai", public_ips=["20.85.16.101"])
    for ip_rules in ([], ["20.85.16.101"]):
        open_pe = account(public=True, ip_rules=ip_rules, private_endpoints=[PE])
        [f] = run(rule, open_pe, policy=FRONTED, related={GATEWAY: [outside]})
        assert f.evidence["privateEndpoints"] == [PE]
        with pytest.raises(rule.NotEvaluable, match=r"pe-dev"):
            run(rule, open_pe, policy=FRONTED, related={GATEWAY: [APIM]})


def test_a_private_endpoint_is_judged_by_the_subnet_its_resource_is_in() -> None:
    # The recommended setup: public access disabled, the only approved endpoint in a subnet of the
    # gateway's VNet (Microsoft.Network/privateEndpoints 2024-05-01: properties.subnet.id).
    own_subnet = SUBNET.replace("snet-apim", "snet-pe")
    own = b.private_endpoint(SUB, "rg-gw", "pe-gw", subnet=own_subnet, target="x")
    closed = account(private_endpoints=[own["id"]])
    assert run(rule, closed, policy=FRONTED, related={GATEWAY: [APIM], PRIVATE_ENDPOINTS: [own]}) == []
    # The same with public access on and denied by default: the endpoint is still judged.
    assert (
        run(rule, account(public=True, private_endpoints=[own["id"]]), policy=FRONTED, related={GATEWAY: [APIM], PRIVATE_ENDPOINTS: [own]})
        == []
    )
    # An endpoint in another network: a bypass, naming its subnet.
    other_subnet = f"/subscriptions/{SUB}/resourceGroups/rg-dev/providers/Microsoft.Network/virtualNetworks/vnet-dev/subnets/snet-pe"
    foreign = b.private_endpoint(SUB, "rg-dev", "pe-dev", subnet=other_subnet, target="x")
    both = account(private_endpoints=[own["id"], foreign["id"]])
    [f] = run(rule, both, policy=FRONTED, related={GATEWAY: [APIM], PRIVATE_ENDPOINTS: [own, foreign]})
    assert f.evidence["privateEndpoints"] == [foreign["id"]]
    assert f.evidence["privateEndpointSubnets"] == [other_subnet]
    # One that could not be read: not evaluated, never compliant.
    with pytest.raises(rule.NotEvaluable, match=r"pe-dev.*could not be read"):
        run(rule, both, policy=FRONTED, related={GATEWAY: [APIM], PRIVATE_ENDPOINTS: [own]})


def test_a_multi_region_gateways_second_region_is_the_gateway_too() -> None:
    # azure-mgmt-apimanagement AdditionalLocation: publicIPAddresses, outboundPublicIPAddresses and
    # virtualNetworkConfiguration.subnetResourceId per region.
    second = f"/subscriptions/{SUB}/resourceGroups/rg-gw/providers/Microsoft.Network/virtualNetworks/vnet-ai-weu/subnets/snet-apim"
    regions = [
        {"location": "westeurope", "sku": {"name": "Premium", "capacity": 1}, "publicIPAddresses": ["51.1.2.3"]},
        {"location": "northeurope", "sku": {"name": "Premium", "capacity": 1}, "outboundPublicIPAddresses": ["52.4.5.6"]},
        {
            "location": "swedencentral",
            "sku": {"name": "Premium", "capacity": 1},
            "virtualNetworkConfiguration": {"subnetResourceId": second},
        },
    ]
    multi = with_value(APIM, regions, "properties", "additionalLocations")
    ok = account(public=True, ip_rules=["20.85.16.101", "51.1.2.3", "52.4.5.6"])
    ok = with_value(ok, [{"id": second}], "properties", "networkAcls", "virtualNetworkRules")
    assert run(rule, ok, policy=FRONTED, related={GATEWAY: [multi]}) == []
    [f] = run(rule, ok, policy=FRONTED, related={GATEWAY: [APIM]})  # the single-region gateway: not its addresses
    assert f.evidence["ipRules"] == ["51.1.2.3", "52.4.5.6"]


def test_a_fronted_account_open_to_the_internet_is_a_bypass() -> None:
    [f] = run(rule, account(public=True, default_action="Allow"), policy=FRONTED, related={GATEWAY: [APIM]})
    assert f.evidence["gateway"] == APIM["id"]
    assert f.evidence["networkAcls.defaultAction"] == "Allow"
    assert f.mode == "ticket"
    assert f.remediation is None
    assert "private endpoint" in f.message
    # Absent publicNetworkAccess and defaultAction are the service defaults: Enabled, Allow.
    bare = without(without(account(), "properties", "publicNetworkAccess"), "properties", "networkAcls")
    assert len(run(rule, bare, policy=FRONTED)) == 1


def test_deny_with_only_the_gateways_address_or_subnet_passes() -> None:
    ok = account(public=True, ip_rules=["20.85.16.101"])
    assert run(rule, ok, policy=FRONTED, related={GATEWAY: [APIM]}) == []
    assert (
        run(
            rule,
            with_value(ok, [{"value": "20.85.16.101/32"}], "properties", "networkAcls", "ipRules"),
            policy=FRONTED,
            related={GATEWAY: [APIM]},
        )
        == []
    )
    by_subnet = with_value(account(public=True), [{"id": SUBNET.upper()}], "properties", "networkAcls", "virtualNetworkRules")
    assert run(rule, by_subnet, policy=FRONTED, related={GATEWAY: [APIM]}) == []
    assert run(rule, account(public=True), policy=FRONTED) == []  # deny, no rules: nothing gets in


def test_other_addresses_or_subnets_are_a_bypass() -> None:
    open_more = account(public=True, ip_rules=["20.85.16.101", "203.0.113.0/24"])
    [f] = run(rule, open_more, policy=FRONTED, related={GATEWAY: [APIM]})
    assert f.evidence["ipRules"] == ["203.0.113.0/24"]
    other_subnet = with_value(account(public=True), [{"id": SUBNET + "-other"}], "properties", "networkAcls", "virtualNetworkRules")
    [f] = run(rule, other_subnet, policy=FRONTED, related={GATEWAY: [APIM]})
    assert f.evidence["virtualNetworkRules"] == [SUBNET + "-other"]


def test_rules_without_the_gateway_read_cannot_be_judged() -> None:
    with pytest.raises(rule.NotEvaluable):
        run(rule, account(public=True, ip_rules=["20.85.16.101"]), policy=FRONTED)


def test_not_applicable() -> None:
    assert rule.META.applies_to("microsoft.cognitiveservices/accounts")
    assert not rule.META.applies_to("Microsoft.ApiManagement/service")
