"""Resource Graph's per-user quota: with none left, the next query waits for the window to reset."""

from __future__ import annotations

from driftguard.azure.resource_graph import ResourceGraph, Scope
from tests.azure.fake_arm import Answer, FakeArm

GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def page(rows: list[dict[str, str]], token: str | None, remaining: int) -> Answer:
    body = {"data": rows, "count": len(rows), **({"$skipToken": token} if token else {})}
    return Answer(200, body, {"x-ms-user-quota-remaining": str(remaining), "x-ms-user-quota-resets-after": "00:00:01"})


def test_a_spent_quota_is_waited_out_before_the_next_page() -> None:
    fake = FakeArm()
    fake.on("POST", GRAPH, page([{"id": "a"}], "t1", 1), page([{"id": "b"}], "t2", 0), page([{"id": "c"}], None, 14))
    rows = [r["id"] for r in ResourceGraph(fake.raw_arm()).query("resources", Scope(subscriptions=("s1",)))]
    assert rows == ["a", "b", "c"]
    first, second, third = (s.at for s in fake.calls("POST", GRAPH))
    assert second - first < 0.5  # quota left: no wait
    assert third - second >= 0.95  # none left: the window's reset, one second later
