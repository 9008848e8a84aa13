"""Privilege creep: a review's figures, the snapshot kept in the store, the change since the last
review, and how today's standing privileged access built up by date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from driftguard import creep
from driftguard.azure.activity import ActivityIndex
from driftguard.azure.directory import Principal
from driftguard.policy import Policy
from driftguard.report import review_html
from driftguard.review import Review, judge
from driftguard.store.sqlite import SqliteStore
from simulator.roles import role_assignment, role_definition

NOW = datetime(2026, 11, 29, tzinfo=UTC)
SUB = "11111111-1111-4111-8111-111111111111"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def principal(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def assignment(n: int, role: str, created: datetime) -> dict[str, object]:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    return role_assignment(f"/subscriptions/{SUB}", f"0f6b0c1e-0000-4a00-8000-{n:012d}", role, principal(n), created_on=stamp, sub=SUB)


def review_of(assignments: list[dict[str, object]]) -> Review:
    return judge(
        assignments,
        definitions={OWNER: role_definition(OWNER), READER: role_definition(READER)},
        principals={principal(n): Principal(principal(n), True, "User") for n in range(10)},
        memberships={},
        activity=ActivityIndex(data_through=NOW),
        ai_scopes=frozenset({f"/subscriptions/{SUB}"}),
        policy=Policy(),
        now=NOW,
    )


def test_figures_count_standing_privilege_and_direct_user_grants() -> None:
    review = review_of([assignment(1, OWNER, NOW - timedelta(days=400)), assignment(2, READER, NOW - timedelta(days=400))])
    total = creep.figures(review)["total"]
    assert total["assignments"] == 2
    assert total["privileged_standing"] == 1
    assert total["direct_to_user"] == 2
    assert creep.figures(review)["by_level"]["subscription"]["privileged_standing"] == 1


def test_the_next_review_names_what_crept_in_and_what_left(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    old = NOW - timedelta(days=400)
    first = review_of([assignment(1, OWNER, old), assignment(2, OWNER, old), assignment(3, READER, old)])
    history, change = creep.record(first, store, NOW - timedelta(days=7))
    assert history == []
    assert change is None

    # A week later: one Owner gone, a Reader became an Owner, a new Owner appeared.
    second = review_of([assignment(1, OWNER, old), assignment(3, OWNER, old), assignment(4, OWNER, NOW - timedelta(days=2))])
    history, change = creep.record(second, store, NOW)
    assert [t for t, _ in history] == [NOW - timedelta(days=7)]
    assert change is not None
    assert change.exact
    assert [r.principal_id for r in change.added] == [principal(3), principal(4)]
    assert change.removed == [first.rows[1].assignment_id.lower()]
    assert change.escalated == [principal(3), principal(4)]  # principal 1 held Owner already
    assert change.deltas["privileged_standing"] == 1
    assert change.deltas["assignments"] == 0
    assert len(store.reviews()) == 2

    page = review_html.render(
        second,
        history=history,
        change=change,
        generated=NOW,
    )
    assert page.count("<polyline") == 2  # growth by date and the recorded reviews
    assert "Since the review of" in page
    assert principal(4) in page
    assert "Escalated" in page
    assert 'class="up">+1</td>' in page  # a delta cell, labelled with its figure for narrow screens


def test_growth_counts_each_assignment_from_its_creation() -> None:
    review = review_of(
        [
            assignment(1, OWNER, NOW - timedelta(days=400)),
            assignment(2, OWNER, NOW - timedelta(days=20)),
            assignment(3, READER, NOW - timedelta(days=20)),  # not privileged: not counted
        ]
    )
    points = creep.growth(review.rows, now=NOW, weeks=52)
    assert points[0][1] == 1
    assert points[-1] == (NOW, 2)
    assert [v for _, v in points] == sorted(v for _, v in points)
    assert sum(1 for _, v in points if v == 2) == 3  # the weeks since day -20 (-14, -7, now)
