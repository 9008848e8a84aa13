import pytest

from driftguard.policy import AccessPolicy, Persona, PersonaRole, Policy, ScopeLevel
from driftguard.rules import authorization_roleassignment_within_persona as rule
from driftguard.rules.base import NotEvaluable
from driftguard.rules.roles import PRINCIPAL, ROLE_DEFINITION
from tests.rules.access_fixtures import AI_DEVELOPER, DEV_GROUP, OPENAI_USER, OWNER, SUB, assignment, definition
from tests.rules.helpers import run

POLICY = Policy(
    access=AccessPolicy(
        personas=(
            Persona(
                name="ai_developer",
                groups=(DEV_GROUP,),
                allowed=(PersonaRole(role=AI_DEVELOPER, scopes=(ScopeLevel.RESOURCE, ScopeLevel.RESOURCE_GROUP)),),
            ),
        )
    )
)
DEV = {PRINCIPAL: [{"groups": [DEV_GROUP]}]}


def test_allowed_role_at_allowed_level_passes() -> None:
    assert (
        run(
            rule,
            assignment(AI_DEVELOPER, principal_type="Group"),
            related={**DEV, ROLE_DEFINITION: [definition(AI_DEVELOPER)]},
            policy=POLICY,
        )
        == []
    )


def test_off_persona_role_or_level_fails() -> None:
    [f] = run(rule, assignment(OWNER, principal_type="Group"), related={**DEV, ROLE_DEFINITION: [definition(OWNER)]}, policy=POLICY)
    assert "ai_developer" in f.message
    assert f.message.startswith("Owner at the resource is outside the persona")
    assert f.evidence["role"] == OWNER
    at_sub = assignment(AI_DEVELOPER, scope=f"/subscriptions/{SUB}", principal_type="Group")
    [g] = run(rule, at_sub, related={**DEV, ROLE_DEFINITION: [definition(AI_DEVELOPER)]}, policy=POLICY)
    assert g.evidence["level"] == "subscription"


def test_data_role_directly_to_a_user_fails_whatever_the_persona() -> None:
    [f] = run(rule, assignment(OPENAI_USER), related={**DEV, ROLE_DEFINITION: [definition(OPENAI_USER)]}, policy=POLICY)
    assert "directly to a user" in f.message


def test_principal_without_persona_is_not_judged() -> None:
    with pytest.raises(NotEvaluable):
        run(
            rule,
            assignment(OWNER, principal_type="Group"),
            related={PRINCIPAL: [{"groups": []}], ROLE_DEFINITION: [definition(OWNER)]},
            policy=POLICY,
        )


def test_defaults_come_from_controls_md() -> None:
    names = {p.name for p in Policy().access.personas}
    assert names == {"data_scientist", "ai_developer", "it_administrator", "workload_identity"}
