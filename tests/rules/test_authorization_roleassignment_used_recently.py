from datetime import UTC, datetime

import pytest

from driftguard.rules import authorization_roleassignment_used_recently as rule
from driftguard.rules.base import NotEvaluable
from driftguard.rules.roles import ACTIVITY, ELIGIBILITY
from tests.rules.access_fixtures import OWNER, assignment
from tests.rules.helpers import run

NOW = datetime(2026, 11, 29, tzinfo=UTC)
FRESH = "2026-11-28T12:00:00Z"


def test_recent_use_passes_and_old_use_fails() -> None:
    assert (
        run(rule, assignment(OWNER), related={ACTIVITY: [{"last_activity": "2026-10-01T00:00:00Z", "data_through": FRESH}]}, now=NOW) == []
    )
    [f] = run(rule, assignment(OWNER), related={ACTIVITY: [{"last_activity": "2026-06-01T00:00:00Z", "data_through": FRESH}]}, now=NOW)
    assert "last: 2026-06-01" in f.message


def test_never_used_fails() -> None:
    [f] = run(rule, assignment(OWNER), related={ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}, now=NOW)
    assert "none recorded" in f.message


def test_young_assignments_are_not_judged() -> None:
    young = assignment(OWNER, created="2026-11-01T00:00:00Z")
    assert run(rule, young, related={ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}, now=NOW) == []


def test_missing_or_stale_activity_never_fails_open() -> None:
    with pytest.raises(NotEvaluable):
        run(rule, assignment(OWNER), related={ACTIVITY: [{"last_activity": None, "data_through": "2026-10-01T00:00:00Z"}]}, now=NOW)
    with pytest.raises(NotEvaluable):
        run(rule, assignment(OWNER), related={ACTIVITY: [{}]}, now=NOW)


def test_a_pim_activation_is_not_judged_unused() -> None:
    unused = {ACTIVITY: [{"last_activity": None, "data_through": FRESH}]}
    assert run(rule, assignment(OWNER), related={**unused, ELIGIBILITY: [{"activated": True}]}, now=NOW) == []
    assert len(run(rule, assignment(OWNER), related={**unused, ELIGIBILITY: [{"activated": False}]}, now=NOW)) == 1
