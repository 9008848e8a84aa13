"""DriftGuard's ARM writer and Activity Log reader against the HTTPS simulator, as the multi-process
tests build them: the real azure-core pipelines with the simulator's CA, no polling waits and short
retry back-offs."""

from __future__ import annotations

from driftguard.azure.activity import ActivityReader
from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.writes import ArmWriter


def https_writer(base_url: str, ca_file: str, caller: str, *, read_timeout: float | None = None) -> ArmWriter:
    """A writer signed in as `caller` (an object id the simulator's RBAC knows)."""
    options: dict[str, float] = {} if read_timeout is None else {"read_timeout": read_timeout, "retry_backoff_factor": 0.05}
    connection = ArmConnection(base_url, StaticTokenCredential(f"sim:{caller}"), connection_verify=ca_file, polling_interval=0, **options)
    return ArmWriter(RawArm(connection), base_url, poll_interval_s=0)


def https_activity(base_url: str, ca_file: str, caller: str) -> ActivityReader:
    """The Activity Log as the simulator's Log Analytics endpoint (the same server) answers it."""
    return ActivityReader(
        StaticTokenCredential(f"sim:{caller}"),
        workspace_id="law-security",
        endpoint=base_url,
        connection_verify=ca_file,
        retry_backoff_factor=0.05,
    )
