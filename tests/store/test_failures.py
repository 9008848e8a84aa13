"""A store that cannot be reached raises StoreUnavailable (transient: Event Grid redelivers)."""

from pathlib import Path

import pytest

from driftguard.store.base import StoreUnavailable
from driftguard.store.sqlite import SqliteStore
from driftguard.store.table import TableStore
from tests.store.conftest import _free_port, connection_string


def test_sqlite_unreachable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        SqliteStore(tmp_path / "missing" / "dir" / "state.db")


def test_table_storage_unreachable() -> None:
    with pytest.raises(StoreUnavailable):
        TableStore.from_connection_string(connection_string(_free_port()), retry_total=0)


def test_bad_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        TableStore.from_connection_string(connection_string(1), prefix="no-dashes")
