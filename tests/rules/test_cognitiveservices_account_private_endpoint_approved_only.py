from driftguard.policy import NetworkPolicy, Policy
from driftguard.rules import cognitiveservices_account_private_endpoint_approved_only as rule
from simulator import builders as b
from tests.conftest import corpus_body
from tests.rules.helpers import run, with_value

SUB = "11111111-1111-4111-8111-111111111111"
OWN_PE = f"/subscriptions/{SUB}/resourceGroups/net/providers/Microsoft.Network/privateEndpoints/pe"
FOREIGN_PE = "/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/x/providers/Microsoft.Network/privateEndpoints/pe"


def test_endpoint_in_same_subscription_passes() -> None:
    assert run(rule, b.cognitive_account(SUB, "rg", "oai", private_endpoints=[OWN_PE])) == []


def test_foreign_endpoint_fails() -> None:
    [f] = run(rule, b.cognitive_account(SUB, "rg", "oai", private_endpoints=[OWN_PE, FOREIGN_PE]))
    assert f.evidence["privateEndpoint"] == FOREIGN_PE
    assert f.remediation == "private_endpoint_connection_reject"


def test_allowed_subscriptions_from_policy() -> None:
    policy = Policy(network=NetworkPolicy(private_endpoint_subscriptions=("99999999-9999-4999-8999-999999999999", SUB)))
    assert run(rule, b.cognitive_account(SUB, "rg", "oai", private_endpoints=[FOREIGN_PE]), policy=policy) == []


def test_rejected_connection_and_other_casing() -> None:
    a = b.cognitive_account(SUB, "rg", "oai", private_endpoints=[FOREIGN_PE])
    conns = a["properties"]["privateEndpointConnections"]
    conns[0]["properties"]["privateLinkServiceConnectionState"]["status"] = "rejected"
    assert run(rule, a) == []


def test_absent_connections_pass_and_corpus_workspace() -> None:
    assert run(rule, with_value(b.cognitive_account(SUB, "rg", "oai"), None, "properties", "privateEndpointConnections")) == []
    # The ML workspace example's endpoint lives in the workspace's own subscription.
    assert run(rule, corpus_body("rest-examples", "machinelearningservices", "2025-06-01", "Workspace", "get.json")) == []


def test_applies_to_search_and_ml() -> None:
    assert rule.META.applies_to("microsoft.search/searchservices")
    assert rule.META.applies_to("Microsoft.MachineLearningServices/workspaces")
    assert not rule.META.applies_to("Microsoft.Storage/storageAccounts")
