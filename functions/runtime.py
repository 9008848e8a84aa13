"""What the trigger functions share: the settings, validated at start-up, and the engine objects built
from them once per process (the host reuses a process for many invocations)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from driftguard import compose
from driftguard.cases.api import ApprovalApi
from driftguard.cases.auth import easy_auth_enabled
from driftguard.cases.incidents import IncidentIntake
from driftguard.cases.outbox import Outbox
from driftguard.policy import Policy, Settings, known_rule_ids, load_policy, load_settings
from driftguard.respond import Responder

# Validated at start-up: a bad or unknown setting stops the host with a message naming it.
SETTINGS: Settings = load_settings()
# Set by App Service when App Service Authentication is on: the only case in which the principal
# header is trusted (read once, like the settings).
EASY_AUTH: bool = easy_auth_enabled(os.environ)

_lock = threading.Lock()
_app: compose.LiveApp | None = None
# Replacements installed by tests and local hosts (another Azure, the simulator).
_responder: Responder | None = None
_approvals: ApprovalApi | None = None
_outbox: Outbox | None = None
_incidents: Callable[[], IncidentIntake] | None = None


def policy() -> Policy:
    """The policy file, read as `driftguard policy validate` reads it: an unknown rule id, or an exemption
    whose rule pattern matches no rule, stops the function with a message naming it."""
    loaded = load_policy(SETTINGS.policy_file)
    loaded.check_rule_ids(known_rule_ids())
    return loaded


def _live() -> compose.LiveApp:
    global _app  # noqa: PLW0603 - one engine per worker process, built on first use
    with _lock:
        if _app is None:
            _app = compose.live_app(SETTINGS, policy())
        return _app


def responder() -> Responder:
    return _responder or _live().responder


def approvals() -> ApprovalApi:
    """The approval API, cheap to get: it builds the engine only for an authenticated caller."""
    global _approvals  # noqa: PLW0603
    with _lock:
        if _approvals is None:
            _approvals = ApprovalApi(
                lambda: _live().desk,
                easy_auth=EASY_AUTH,
                dry_run=SETTINGS.dry_run,
                # Display names for the console, asked of Graph only once a caller is authenticated.
                people=lambda ids: _live().directory.principals(ids),  # noqa: PLW0108 - built on first use, not now
                users=lambda names: _live().directory.users(names),  # noqa: PLW0108 - built on first use, not now
                own_ids=SETTINGS.identity_ids,
            )
        return _approvals


def outbox() -> Outbox:
    return _outbox or _live().outbox


def incidents() -> AbstractContextManager[IncidentIntake]:
    """The alert intake over the app's store and outbox (live Resource Graph, ARM and Log Analytics as
    the detector), or the one installed by a test or a local host."""
    if _incidents is not None:
        return nullcontext(_incidents())
    return compose.live_incidents(SETTINGS, policy(), store=responder().store, listeners=(outbox().case_changed,))


def install_incidents(factory: Callable[[], IncidentIntake]) -> None:
    global _incidents  # noqa: PLW0603
    with _lock:
        _incidents = factory


def install(engine: Responder) -> None:
    """Use this engine instead of building one from the settings (another Azure, or the simulator)."""
    global _responder  # noqa: PLW0603
    with _lock:
        _responder = engine


def install_approvals(api: ApprovalApi) -> None:
    global _approvals  # noqa: PLW0603
    with _lock:
        _approvals = api


def install_outbox(notifications: Outbox) -> None:
    global _outbox  # noqa: PLW0603
    with _lock:
        _outbox = notifications
