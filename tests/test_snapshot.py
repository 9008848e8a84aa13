"""The snapshot reader: batched and element-wise parsing must read exactly what `json.loads` reads."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import orjson
import pytest

from driftguard import snapshot
from driftguard.nesting import MAX_DEPTH
from driftguard.snapshot import SnapshotError, iter_resources
from simulator import generate
from tests.deep import TOO_DEEP, nested_text, refusal_names_the_limit


def read(text: str) -> list[Any]:
    return list(iter_resources(io.StringIO(text)))


TRICKY = [
    {"id": "/a", "type": "t", "properties": {"description": 'x},{"id": "fake"}, y', "rules": [{"id": "n1"}, {"id": "n2"}]}},
    {"id": "/b", "type": "t", "tags": {"k": "},"}, "properties": {"n": 1.5e3, "ok": True, "none": None}},
    {"type": "t", "id": "/c"},
    {"id": "/d", "type": "t", "properties": {"s": 'unicode \u00e9 \\ "quoted" },{"id"'}},
]


def tricky(copies: int) -> list[dict[str, Any]]:
    """TRICKY again and again, each copy with ids of its own (a snapshot lists a resource once)."""
    return [{**item, "id": f"{item['id']}-{n}"} for n in range(copies) for item in TRICKY]


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_tricky_content_reads_like_json_loads(indent: int | None) -> None:
    text = json.dumps(tricky(50), indent=indent)
    assert read(text) == json.loads(text)


@pytest.mark.parametrize("chunk", [7, 64, 1000])
def test_every_chunk_boundary(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "CHUNK", chunk)
    items = list(generate.resources(60)) + TRICKY
    random.Random(chunk).shuffle(items)
    text = json.dumps({"count": len(items), "data": items, "skip_token": None})
    assert read(text) == items


def test_large_generated_export_round_trips() -> None:
    items = list(generate.resources(3000))
    text = "[" + ",\n".join(json.dumps(i, separators=(",", ":")) for i in items) + "]"
    assert read(text) == items


def test_truncated_export_is_an_error_not_a_short_read() -> None:
    text = json.dumps(list(generate.resources(200)))
    with pytest.raises(SnapshotError):
        read(text[: len(text) // 2])


@pytest.mark.parametrize("indent", [None, 2])
def test_batches_are_used_and_a_false_cut_falls_back(indent: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes: list[int] = []
    original = snapshot._Reader.batch

    def spy(self: Any) -> list[Any]:
        items = original(self)
        outcomes.append(len(items))
        return items

    monkeypatch.setattr(snapshot._Reader, "batch", spy)
    monkeypatch.setattr(snapshot, "CHUNK", 4096)
    items = list(generate.resources(200))
    items[150] = TRICKY[3]  # its string holds a `},{"id"` that is not a boundary
    text = json.dumps(items, indent=indent)
    assert read(text) == items
    assert sum(outcomes) > 100  # most elements came in batches, even with 4 KiB reads
    assert 0 in outcomes  # and some cuts were refused, falling back to one element at a time


def resource(name: str, levels: int = 2) -> str:
    """A storage account nested `levels` deep (itself and its properties are two levels)."""
    rid = f"/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{name}"
    return f'{{"id": "{rid}", "type": "Microsoft.Storage/storageAccounts", "properties": {{"x": {nested_text(levels - 2)}}}}}'


@pytest.mark.parametrize("levels", TOO_DEEP)
@pytest.mark.parametrize("shape", ["[{}]", '{{"value": [{}]}}', '{{"count": 3, "data": [{}]}}'])
def test_a_resource_nested_too_deep_is_refused(levels: int, shape: str) -> None:
    with pytest.raises(SnapshotError) as refused:
        read(shape.format(",".join([resource("a"), resource("deep", levels), resource("b")])))
    refusal_names_the_limit(str(refused.value), "snapshot")


@pytest.mark.parametrize("levels", TOO_DEEP)
def test_too_deep_is_refused_inside_a_batch_too(levels: int) -> None:
    """Among thousands of resources the deep one sits inside what orjson parses as a batch: orjson's own
    limit (1,024 levels) and ours both end in the same refusal, naming where the resource starts."""
    items = [resource(f"st{i}") for i in range(4000)]
    items[2000] = resource("deep", levels)
    text = "[" + ",".join(items) + "]"
    with pytest.raises(SnapshotError) as refused:
        read(text)
    refusal_names_the_limit(str(refused.value), f"the value at character {text.index(items[2000])}")


def test_a_resource_at_the_limit_is_read_in_batches_and_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    original = snapshot._Reader.batch

    def spy(self: Any) -> list[Any]:
        items = original(self)
        sizes.append(len(items))
        return items

    monkeypatch.setattr(snapshot._Reader, "batch", spy)
    items = [resource(f"st{i}", MAX_DEPTH) for i in range(3000)]
    assert len(read("[" + ",".join(items) + "]")) == 3000
    assert max(sizes) > 1000  # the batches took them (padded to the limit), not only the element reader
    assert len(read("[" + resource("alone", MAX_DEPTH) + "]")) == 1


def test_orjson_stops_where_the_batches_count_on_it() -> None:
    """The batch reader pads its input so that orjson's own depth limit is ours: it must stay 1,024."""
    limit = snapshot.ORJSON_MAX_DEPTH
    assert orjson.loads("[" * limit + "]" * limit)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads("[" * (limit + 1) + "]" * (limit + 1))


def test_a_resource_listed_twice_is_refused_naming_its_id() -> None:
    """The same resource three times, its id differing only in case: refused at the second, by id."""
    first = resource("st1")
    text = "[" + ",".join([first, first.replace("/rg/", "/RG/"), first.replace("Microsoft.Storage", "microsoft.storage")]) + "]"
    with pytest.raises(SnapshotError) as refused:
        read(text)
    message = str(refused.value)
    assert "resource #2 repeats the id" in message
    assert "/RG/" in message
    assert "\n" not in message


def test_ids_differing_in_a_character_arm_keeps_apart_are_two_resources() -> None:
    kelvin = resource("st\u212a")  # KELVIN SIGN: ARM does not equate it with k (str.lower() does)
    assert len(read("[" + ",".join([kelvin, resource("stk")]) + "]")) == 2
    with pytest.raises(SnapshotError, match="resource #3 repeats"):
        read("[" + ",".join([kelvin, resource("stk"), resource("stK")]) + "]")
