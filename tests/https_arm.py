"""DriftGuard's ARM writer against the HTTPS simulator, as the multi-process tests build it: the real
azure-core pipeline with the simulator's CA, no polling waits and short retry back-offs."""

from __future__ import annotations

from driftguard.azure.connection import ArmConnection, RawArm, StaticTokenCredential
from driftguard.azure.writes import ArmWriter


def https_writer(base_url: str, ca_file: str, caller: str, *, read_timeout: float | None = None) -> ArmWriter:
    """A writer signed in as `caller` (an object id the simulator's RBAC knows)."""
    options: dict[str, float] = {} if read_timeout is None else {"read_timeout": read_timeout, "retry_backoff_factor": 0.05}
    connection = ArmConnection(base_url, StaticTokenCredential(f"sim:{caller}"), connection_verify=ca_file, polling_interval=0, **options)
    return ArmWriter(RawArm(connection), base_url, poll_interval_s=0)
