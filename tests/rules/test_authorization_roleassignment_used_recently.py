from datetime import UTC, datetime

import pytest

from driftguard.rules import authorization_roleassignment_used_recently as rule
from driftguard.rules.base import NotEvaluable
from driftguard.rules.roles import ACTIVITY, ELIGIBILITY, ROLE_DEFINITION
from tests.rules.access_fixtures import OPENAI_USER, OWNER, READER, assignment, custom, definition
from tests.rules.helpers import run

NOW = datetime(2026, 11, 29, tzinfo=UTC)
FRESH = "2026-11-28T12:00:00Z"


def test_recent_use_passes_and_old_use_fails() -> None:
    assert (
        run(
            rule,
            assignment(OWNER),
            related={ROLE_DEFINITION: [definition(OWNER)], ACTIVITY: [{"last_activity": "2026-10-01T00:00:00Z", "data_through": FRESH}]},
            now=NOW,
        )
        == []
    )
    [f] = run(
        rule,
        assignment(OWNER),
        related={ROLE_DEFINITION: [definition(OWNER)], ACTIVITY: [{"last_activity": "2026-06-01T00:00:00Z", "data_through": FRESH}]},
        now=NOW,
    )
    assert "last: 2026-06-01" in f.message


def test_never_used_fails() -> None:
    [f] = run(
        rule,
        assignment(OWNER),
        related={ROLE_DEFINITION: [definition(OWNER)], ACTIVITY: [{"last_activity": None, "data_through": FRESH}]},
        now=NOW,
    )
    assert "none recorded" in f.message


def test_young_assignments_are_not_judged() -> None:
    young = assignment(OWNER, created="2026-11-01T00:00:00Z")
    assert (
        run(
            rule, young, related={ROLE_DEFINITION: [definition(OWNER)], ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}, now=NOW
        )
        == []
    )


def test_missing_or_stale_activity_never_fails_open() -> None:
    with pytest.raises(NotEvaluable):
        run(
            rule,
            assignment(OWNER),
            related={ROLE_DEFINITION: [definition(OWNER)], ACTIVITY: [{"last_activity": None, "data_through": "2026-10-01T00:00:00Z"}]},
            now=NOW,
        )
    with pytest.raises(NotEvaluable):
        run(rule, assignment(OWNER), related={ROLE_DEFINITION: [definition(OWNER)], ACTIVITY: [{}]}, now=NOW)


def test_a_pim_activation_is_not_judged_unused() -> None:
    unused = {ROLE_DEFINITION: [definition(OWNER)], ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}
    assert run(rule, assignment(OWNER), related={**unused, ELIGIBILITY: [{"activated": True}]}, now=NOW) == []
    assert len(run(rule, assignment(OWNER), related={**unused, ELIGIBILITY: [{"activated": False}]}, now=NOW)) == 1


SEARCH_INDEX_DATA_READER = "1407120a-92aa-4202-b7e9-c0e197c71c8f"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"


@pytest.mark.parametrize("role", [OPENAI_USER, SEARCH_INDEX_DATA_READER, STORAGE_BLOB_DATA_READER, READER])
def test_roles_whose_use_the_activity_log_never_records_are_not_evaluable_never_unused(role: str) -> None:
    """Data-plane calls and reads leave no Activity Log record: no activity is no evidence of disuse."""
    unused = {ROLE_DEFINITION: [definition(role)], ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}
    with pytest.raises(NotEvaluable, match="Activity Log does not record"):
        run(rule, assignment(role), related=unused, now=NOW)


def test_a_custom_role_with_only_data_actions_is_not_evaluable_and_one_with_writes_is() -> None:
    data_only = custom("chat-only", [], ["Microsoft.CognitiveServices/accounts/OpenAI/*"])
    with pytest.raises(NotEvaluable):
        run(
            rule,
            assignment(OWNER),
            related={ROLE_DEFINITION: [data_only], ACTIVITY: [{"last_activity": None, "data_through": FRESH}]},
            now=NOW,
        )
    deployer = custom("deployer", ["Microsoft.CognitiveServices/accounts/deployments/write"])
    [f] = run(
        rule, assignment(OWNER), related={ROLE_DEFINITION: [deployer], ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}, now=NOW
    )
    assert "none recorded" in f.message


def test_without_its_role_definition_an_assignment_is_not_judged() -> None:
    assert rule.META.requires == (ACTIVITY, ROLE_DEFINITION)
    with pytest.raises(NotEvaluable, match="role definition"):
        run(rule, assignment(OWNER), related={ROLE_DEFINITION: [], ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}, now=NOW)
