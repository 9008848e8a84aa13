"""What the trigger functions share: the settings, validated at start-up, and the engine objects built
from them once per process (the host reuses a process for many invocations)."""

from __future__ import annotations

import threading

from driftguard import compose
from driftguard.policy import Policy, Settings, load_policy, load_settings
from driftguard.respond import Responder

# Validated at start-up: a bad or unknown setting stops the host with a message naming it.
SETTINGS: Settings = load_settings()

_lock = threading.Lock()
_responder: Responder | None = None


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
