"""Shared fixtures: the reference corpus (skipped where absent) and simulator connections."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from simulator import Simulator, sample
from simulator.server import SimulatorServer
from simulator.transport import BASE_URL, in_process_session

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def corpus_path(*parts: str) -> Path:
    """A file or folder of ../shared/corpus; skips the test (with the reason) where the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not CORPUS.is_dir():
        pytest.skip(f"reference corpus not found at {CORPUS} (it ships beside the project, not in a user's clone)")
    if not path.exists():
        pytest.fail(f"corpus file missing: {path}")
    return path


def corpus_json(*parts: str) -> Any:
    return json.loads(corpus_path(*parts).read_text())


def corpus_body(*parts: str, status: str = "200") -> Any:
    return corpus_json(*parts)["responses"][status]["body"]


@pytest.fixture
def sim() -> Simulator:
    return Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS)


@pytest.fixture
def connection(sim: Simulator) -> ArmConnection:
    return ArmConnection(BASE_URL, StaticTokenCredential(), session=in_process_session(sim), polling_interval=0)


@pytest.fixture
def https_sim(sim: Simulator, tmp_path: Path) -> Iterator[SimulatorServer]:
    with SimulatorServer(sim, workdir=tmp_path) as server:
        yield server
