import pytest

from driftguard.ids import InvalidResourceId, normalize_guid, parse_resource_id

SUB = "11111111-1111-4111-8111-111111111111"


def test_round_trip_and_case_insensitive_keywords() -> None:
    text = f"/SUBSCRIPTIONS/{SUB.upper()}/resourcegroups/rg-1/providers/Microsoft.CognitiveServices/accounts/oai/deployments/gpt"
    rid = parse_resource_id(text)
    assert rid.subscription == SUB
    assert rid.resource_group == "rg-1"
    assert rid.full_type == "Microsoft.CognitiveServices/accounts/deployments"
    assert rid.name == "gpt"
    assert str(rid) == f"/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/oai/deployments/gpt"


def test_unicode_resource_group_is_an_id() -> None:
    assert (
        parse_resource_id(f"/subscriptions/{SUB}/resourceGroups/équipe-ia/providers/Microsoft.Storage/storageAccounts/st").resource_group
        == "équipe-ia"
    )


def test_subscription_level_extension_and_management_group_resources() -> None:
    assert parse_resource_id(f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/AI").resource_group is None
    ext = parse_resource_id(
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Search/searchServices/s/providers/Microsoft.Insights/diagnosticSettings/d"
    )
    assert ext.full_type == "Microsoft.Insights/diagnosticSettings"
    assert ext.parent is not None
    assert str(ext.parent).endswith("/searchServices/s")
    builtin = parse_resource_id("/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
    assert builtin.subscription is None
    assert str(builtin) == "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    mg = parse_resource_id("/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/roleAssignments/r1")
    assert mg.management_group == "contoso"
    assert str(mg) == "/providers/Microsoft.Management/managementGroups/contoso/providers/Microsoft.Authorization/roleAssignments/r1"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "subscriptions/x",
        f"/subscriptions/{SUB}//resourceGroups/rg",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a b",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a\n",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/not_a_namespace/x/y",
        f"/subscriptions/{SUB}/resourceGroups/rg/other/Microsoft.Storage/storageAccounts/a",
        "/tenants/x/providers/Microsoft.Storage/storageAccounts/a",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a%2e%2e",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a\\b",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a\x00",
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(InvalidResourceId):
        parse_resource_id(text)


def test_guid_normalisation() -> None:
    assert normalize_guid("A1B2C3D4E5F6478890ABCDEF01234567") == "a1b2c3d4-e5f6-4788-90ab-cdef01234567"
    assert normalize_guid("{ID}") is None
    assert normalize_guid("") is None


def test_up_names_the_resource_a_child_belongs_to() -> None:
    account = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a"
    child = parse_resource_id(f"{account}/privateEndpointConnections/pe-1")
    parent = child.up()
    assert parent is not None
    assert str(parent) == account
    assert parent.up() is None
