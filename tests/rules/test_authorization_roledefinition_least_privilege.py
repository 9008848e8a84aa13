from driftguard.model import Mode
from driftguard.rules import authorization_roledefinition_least_privilege as rule
from tests.rules.access_fixtures import OWNER, custom, definition
from tests.rules.helpers import run


def test_narrow_custom_role_passes() -> None:
    assert run(rule, custom("AI reader", ["Microsoft.CognitiveServices/*/read"])) == []


def test_dangerous_grants_fail_as_tickets() -> None:
    [f] = run(rule, custom("ops", ["*"]))
    assert f.mode is Mode.TICKET
    assert "every action" in f.message
    assert "assign roles" in run(rule, custom("ops", ["Microsoft.Authorization/*/Write"]))[0].message
    assert "listKeys" in run(rule, custom("keys", ["Microsoft.CognitiveServices/accounts/*/action"]))[0].message
    assert "wildcard data actions" in run(rule, custom("data", [], ["Microsoft.CognitiveServices/*"]))[0].message


def test_built_in_roles_are_not_judged_here() -> None:
    assert run(rule, definition(OWNER)) == []
