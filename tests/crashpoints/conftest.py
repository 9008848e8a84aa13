"""The crash-point harness's fixtures: one HTTPS simulator and one Azurite for the whole session (each
run gets a fresh estate and fresh tables), and the figures, printed as one JSON line at the end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import Simulator, sample
from simulator.server import SimulatorServer
from tests.crashpoints.harness import Figures, Harness
from tests.store.conftest import azurite

__all__ = ["azurite"]


@pytest.fixture(scope="session")
def figures() -> Iterator[Figures]:
    figures = Figures()
    yield figures
    if figures.runs:
        print("\n" + json.dumps({"crashpoints": figures.to_json()}))


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory, figures: Figures) -> Iterator[Harness]:
    folder: Path = tmp_path_factory.mktemp("crashpoints")
    with SimulatorServer(Simulator(sample.build()), workdir=folder / "sim") as server:
        yield Harness(server, folder, figures)
