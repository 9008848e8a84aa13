"""Backends for the store contract suite: SQLite in a temporary file, and Azure Table Storage on a real
Azurite (installed from npm by `make test`, started here on 127.0.0.1)."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from driftguard.store.base import StateStore
from driftguard.store.sqlite import SqliteStore
from driftguard.store.table import TableStore

ROOT = Path(__file__).resolve().parents[2]
AZURITE = ROOT / ".tools" / "node_modules" / ".bin" / "azurite-table"
# Azurite's documented development account: a public, well-known key, not a secret.
DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def connection_string(port: int) -> str:
    return f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not AZURITE.exists():
        pytest.fail(f"Azurite is not installed at {AZURITE}: run `make test`, which installs it from npm")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("azurite")
    proc = subprocess.Popen(
        [
            str(AZURITE),
            "--tableHost",
            "127.0.0.1",
            "--tablePort",
            str(port),
            "--inMemoryPersistence",
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
        ],
        cwd=workdir,  # in memory: the folder only keeps Azurite's own files out of the repository
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"Azurite exited at start: {err.decode()[:500]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            pytest.fail("Azurite did not start listening within 30 s")
        time.sleep(0.1)
    try:
        yield connection_string(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.fixture(params=["sqlite", "table"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "state.db")
    conn = request.getfixturevalue("azurite")
    return TableStore.from_connection_string(conn, prefix="t" + uuid.uuid4().hex[:12])
