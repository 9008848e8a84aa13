"""The snapshot reader: batched and element-wise parsing must read exactly what `json.loads` reads."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest

from driftguard import snapshot
from driftguard.snapshot import SnapshotError, iter_resources
from simulator import generate


def read(text: str) -> list[Any]:
    return list(iter_resources(io.StringIO(text)))


TRICKY = [
    {"id": "/a", "type": "t", "properties": {"description": 'x},{"id": "fake"}, y', "rules": [{"id": "n1"}, {"id": "n2"}]}},
    {"id": "/b", "type": "t", "tags": {"k": "},"}, "properties": {"n": 1.5e3, "ok": True, "none": None}},
    {"type": "t", "id": "/c"},
    {"id": "/d", "type": "t", "properties": {"s": 'unicode \u00e9 \\ "quoted" },{"id"'}},
]


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_tricky_content_reads_like_json_loads(indent: int | None) -> None:
    text = json.dumps(TRICKY * 50, indent=indent)
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
