"""`driftguard events FILE`: replays events through the same path and reports each one's outcome."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from driftguard.cli import main
from driftguard.nesting import MAX_DEPTH
from simulator import sample
from tests.conftest import corpus_path
from tests.deep import nested_text, nested_value, refusal_names_the_limit

OAI = f"/subscriptions/{sample.PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod-eu"


def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def event(event_id: str, rid: str = OAI, **data: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2026-11-29T10:00:00Z",
        "subject": rid,
        "data": {"resourceUri": rid, "operationName": "Microsoft.CognitiveServices/accounts/write", "status": "Succeeded", **data},
    }


def test_replay_reports_each_outcome_against_the_simulator(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(
        json.dumps(
            [
                event("e1"),
                event("e1"),
                {"id": "bad", "eventType": "Microsoft.Resources.ResourceWriteSuccess", "data": {"resourceUri": "/nope"}},
            ]
        )
    )
    code, out, _ = run("events", str(path), "--format", "json")
    rows = json.loads(out)
    assert code == 0
    outcomes = [r["outcome"] for r in rows]
    assert "case_opened" in outcomes  # first sight of the drifted account
    assert "duplicate" in outcomes
    assert "rejected" in outcomes
    assert any("starts with neither" in r["reason"] for r in rows if r["outcome"] == "rejected")


def test_corpus_events_replay_cleanly() -> None:
    text = corpus_path("events", "eventgrid-schema", "resource_write_success.json").read_text()
    code, out, _ = run("events", "-", "--format", "json", stdin=text)
    assert code == 0
    assert json.loads(out)[0]["outcome"] == "rejected"  # {placeholder} ids are not ARM ids


def test_unreadable_file_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert run("events", str(bad))[0] == 2
    assert run("events", str(tmp_path / "missing.json"))[0] == 2
    assert run("events", str(bad), "--apply")[0] == 2


def test_events_nested_too_deep(tmp_path: Path) -> None:
    """A file holding an event nested too deep is exit 2 with one line naming the file and the limit,
    whether the JSON parser chokes on it or not; an event at the limit is handled."""
    path = tmp_path / "deep.json"
    for text in ("[" + nested_text(100_000) + "]", json.dumps([event("ok"), event("over", claims=nested_value(MAX_DEPTH - 1))])):
        path.write_text(text)
        code, _, err = run("events", str(path))
        assert code == 2
        assert err.count("\n") == 1
        refusal_names_the_limit(err.strip(), str(path))
    path.write_text(json.dumps([event("at", claims=nested_value(MAX_DEPTH - 2))]))
    code, out, _ = run("events", str(path), "--format", "json")
    assert code == 0
    outcomes = {r["outcome"] for r in json.loads(out)}
    assert "case_opened" in outcomes  # judged like any other event
    assert "rejected" not in outcomes


def test_live_events_without_apply_never_touch_the_real_store(tmp_path: Path) -> None:
    from driftguard import compose
    from driftguard.policy import Policy, Settings
    from driftguard.store.sqlite import SqliteStore

    real = tmp_path / "real-state.db"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    settings = Settings(state_db=real)
    responder = compose.events_responder(settings, Policy(), apply=False, scratch=scratch)
    assert responder.dry_run
    assert isinstance(responder.store, SqliteStore)
    assert (scratch / "dry-run-state.db").exists()
    assert not real.exists()
