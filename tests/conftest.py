"""Shared fixtures: the reference corpus (skipped where absent) and simulator connections."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from driftguard.azure.connection import ArmConnection, StaticTokenCredential
from simulator import Simulator, sample
from simulator.server import SimulatorServer
from simulator.transport import BASE_URL, in_process_session

# Property tests and fuzzers run the same examples on every machine (`make test` must not turn red
# on a lucky draw); HYPOTHESIS_PROFILE=explore draws new ones, for a longer hunt.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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
