from driftguard.policy import AccessPolicy, Persona, Policy
from driftguard.rules import authorization_roleassignment_privileged_not_standing as rule
from driftguard.rules.roles import ELIGIBILITY, PRINCIPAL, ROLE_DEFINITION
from tests.rules.access_fixtures import ADMIN_GROUP, OWNER, READER, USER, assignment, custom, definition
from tests.rules.helpers import run

ADMINS = Policy(access=AccessPolicy(personas=(Persona(name="it_administrator", groups=(ADMIN_GROUP,)),)))


def test_standing_owner_fails_and_reader_passes() -> None:
    [f] = run(rule, assignment(OWNER), related={ROLE_DEFINITION: [definition(OWNER)]})
    # A person reads the role by name and where it applies; the ids stay in the evidence.
    assert f.message == "standing Owner at the resource for a User outside the IT-administrator persona"
    assert f.evidence["role"] == OWNER
    assert f.evidence["role_name"] == "Owner"
    assert f.evidence["scope"] == assignment(OWNER)["properties"]["scope"]
    assert f.remediation == "authorization_roleassignment_delete"
    assert run(rule, assignment(READER), related={ROLE_DEFINITION: [definition(READER)]}) == []


def test_it_administrators_break_glass_and_pim_pass() -> None:
    admin = {PRINCIPAL: [{"groups": [ADMIN_GROUP.upper()]}], ROLE_DEFINITION: [definition(OWNER)]}
    assert run(rule, assignment(OWNER), related=admin, policy=ADMINS) == []
    assert (
        run(rule, assignment(OWNER), related={ROLE_DEFINITION: [definition(OWNER)]}, policy=Policy(break_glass_principals=(USER.upper(),)))
        == []
    )
    pim = {ROLE_DEFINITION: [definition(OWNER)], ELIGIBILITY: [{"activated": True}]}
    assert run(rule, assignment(OWNER), related=pim) == []


def test_custom_roles_are_judged_by_actions_not_names() -> None:
    wildcard = custom("Harmless Helper", ["*"])
    assert len(run(rule, assignment(wildcard["name"]), related={ROLE_DEFINITION: [wildcard]})) == 1
    assigner = custom("Owner", ["Microsoft.Authorization/*/write"])
    assert len(run(rule, assignment(assigner["name"]), related={ROLE_DEFINITION: [assigner]})) == 1
    reader_named_owner = custom("Owner", ["*/read"])
    assert run(rule, assignment(reader_named_owner["name"]), related={ROLE_DEFINITION: [reader_named_owner]}) == []


def test_requires_the_role_definition() -> None:
    assert rule.META.requires == (ROLE_DEFINITION,)
