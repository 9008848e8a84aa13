"""Removal cases behind their guards: break-glass and DriftGuard's own, the last Owner, the batch limit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from driftguard.azure.activity import ActivityIndex
from driftguard.azure.directory import Principal
from driftguard.policy import AccessPolicy, Policy
from driftguard.review import judge, open_removal_cases
from driftguard.store.sqlite import SqliteStore
from simulator.roles import role_assignment, role_definition

NOW = datetime(2026, 11, 29, tzinfo=UTC)
SUB = "11111111-1111-4111-8111-111111111111"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


def principal(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def review_of(assignments: list[dict], policy: Policy) -> object:
    return judge(
        assignments,
        definitions={OWNER: role_definition(OWNER), CONTRIBUTOR: role_definition(CONTRIBUTOR)},
        principals={principal(n): Principal(principal(n), True, "User") for n in range(100)},
        memberships={},
        activity=ActivityIndex(data_through=NOW),
        ai_scopes=frozenset({f"/subscriptions/{SUB}"}),
        policy=policy,
        now=NOW,
    )


def test_cases_carry_the_delete_and_the_last_owner_is_kept(tmp_path: Path) -> None:
    sole_owner = role_assignment(f"/subscriptions/{SUB}", "0f6b0c1e-0000-4a00-8000-000000000001", OWNER, principal(1), sub=SUB)
    contributor = role_assignment(f"/subscriptions/{SUB}", "0f6b0c1e-0000-4a00-8000-000000000002", CONTRIBUTOR, principal(2), sub=SUB)
    review = review_of([sole_owner, contributor], Policy())
    store = SqliteStore(tmp_path / "s.db")
    outcome = open_removal_cases(review, store=store, policy=Policy(), now=NOW)  # type: ignore[arg-type]
    assert outcome.guarded == [f"{sole_owner['id']}: the last Owner of /subscriptions/{SUB}"]
    [case] = list(store.cases())
    assert case.resource_id == contributor["id"]
    assert case.plan is not None
    assert case.plan["steps"][0]["method"] == "DELETE"
    assert case.plan_digest


def test_break_glass_and_own_identity_are_never_removed(tmp_path: Path) -> None:
    a = role_assignment(f"/subscriptions/{SUB}", "0f6b0c1e-0000-4a00-8000-000000000003", CONTRIBUTOR, principal(3), sub=SUB)
    b = role_assignment(f"/subscriptions/{SUB}", "0f6b0c1e-0000-4a00-8000-000000000004", CONTRIBUTOR, principal(4), sub=SUB)
    policy = Policy(break_glass_principals=(principal(3),))
    outcome = open_removal_cases(
        review_of([a, b], policy), store=SqliteStore(tmp_path / "s.db"), policy=policy, now=NOW, own_ids=frozenset({principal(4)})
    )  # type: ignore[arg-type]
    assert outcome.opened == []
    assert len(outcome.guarded) == 2


def test_past_the_limit_one_case_for_the_batch(tmp_path: Path) -> None:
    many = [
        role_assignment(f"/subscriptions/{SUB}", f"0f6b0c1e-0000-4a00-8000-{n:012d}", CONTRIBUTOR, principal(n), sub=SUB)
        for n in range(10, 40)
    ]
    policy = Policy(access=AccessPolicy(max_removals_per_review=25))
    store = SqliteStore(tmp_path / "s.db")
    outcome = open_removal_cases(review_of(many, policy), store=store, policy=policy, now=NOW)  # type: ignore[arg-type]
    assert outcome.batched
    [case] = list(store.cases())
    assert "30 removals exceed the limit of 25" in case.reason
    assert len(case.plan["steps"]) == 30  # type: ignore[index]
