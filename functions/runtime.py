"""What the trigger functions share: the settings, validated at start-up, and the engine objects built
from them once per process (the host reuses a process for many invocations)."""

from __future__ import annotations

import os
import threading

from driftguard import compose
from driftguard.cases.api import ApprovalApi
from driftguard.cases.auth import easy_auth_enabled
from driftguard.policy import Policy, Settings, load_policy, load_settings
from driftguard.respond import Responder

# Validated at start-up: a bad or unknown setting stops the host with a message naming it.
SETTINGS: Settings = load_settings()

# Set by App Service when App Service Authentication is on: the only case in which the principal
# header is trusted (read once, like the settings).
EASY_AUTH: bool = easy_auth_enabled(os.environ)

_lock = threading.Lock()
_responder: Responder | None = None
_approvals: ApprovalApi | None = None


def policy() -> Policy:
    return load_policy(SETTINGS.policy_file)


def responder() -> Responder:
    global _responder  # noqa: PLW0603 - one engine per worker process, built on first use
    with _lock:
        if _responder is None:
            _responder = compose.live_responder(SETTINGS, policy())
        return _responder


def install(engine: Responder) -> None:
    """Use this engine instead of building one from the settings (another Azure, or the simulator)."""
    global _responder  # noqa: PLW0603
    with _lock:
        _responder = engine


def approvals() -> ApprovalApi:
    global _approvals  # noqa: PLW0603 - one API per worker process, built on first use
    with _lock:
        if _approvals is not None:
            return _approvals
    engine = responder()  # the desk shares the responder's store and policy
    with _lock:
        if _approvals is None:
            _approvals = ApprovalApi(compose.live_desk(SETTINGS, engine.policy, engine.store), easy_auth=EASY_AUTH)
        return _approvals


def install_approvals(api: ApprovalApi) -> None:
    """Use this API (another desk, the simulator's) instead of building one from the settings."""
    global _approvals  # noqa: PLW0603
    with _lock:
        _approvals = api
