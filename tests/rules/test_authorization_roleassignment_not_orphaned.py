from driftguard.model import Mode
from driftguard.rules import authorization_roleassignment_not_orphaned as rule
from driftguard.rules.roles import PRINCIPAL
from tests.rules.access_fixtures import OWNER, USER, assignment
from tests.rules.helpers import run


def test_deleted_principal_fails_auto() -> None:
    [f] = run(rule, assignment(OWNER), related={PRINCIPAL: [{"exists": False}]})
    assert f.mode is Mode.AUTO
    assert f.message.startswith(f"deleted principal {USER}")


def test_existing_or_unknown_principal_passes() -> None:
    assert run(rule, assignment(OWNER), related={PRINCIPAL: [{"exists": True}]}) == []
    assert run(rule, assignment(OWNER), related={PRINCIPAL: [{}]}) == []  # unknown is not "deleted"


def test_graph_style_booleans() -> None:
    assert len(run(rule, assignment(OWNER), related={PRINCIPAL: [{"exists": "false"}]})) == 1
