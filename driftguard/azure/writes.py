"""Sending a remediation plan: exactly its requests, then a read-back that proves the change holds.

Failures are sorted for the caller: `PlanStale` (412: the resource changed since the plan was made,
re-read and re-plan), `TransientWriteError` (409 conflicting operation, throttling or 5xx after
azure-core's own retries: raise so Event Grid redelivers), `WriteFailed` (any other refusal: needs
people). Responses to key actions are never read: they hold keys.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError
from azure.core.rest import HttpResponse
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from driftguard.azure.arm import arm_error
from driftguard.azure.connection import RawArm
from driftguard.model import Plan, Step


class WriteError(Exception):
    pass


class PlanStale(WriteError):
    """412: the resource changed after the plan was made."""


class TransientWriteError(WriteError):
    """Worth another try later (Event Grid redelivers)."""


class WriteFailed(WriteError):
    """Azure refused the change: a person has to look."""


class VerificationFailed(WriteError):
    """The write was accepted but the read-back does not show it (yet): reported, never assumed."""


class _NotYet(Exception):
    pass


@dataclass
class Applied:
    plan: Plan
    # The resources read back after the write, by request path.
    read_back: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def contains(actual: Any, expected: Any) -> bool:
    """Whether what was sent is what is there: objects by their keys, strings case-insensitively
    (services echo enums in their own casing), null matching an absent value."""
    if expected is None:
        return actual is None
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(contains(actual.get(k), v) for k, v in expected.items())
    if isinstance(expected, list):
        return (
            isinstance(actual, list) and len(actual) == len(expected) and all(contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.lower() == actual.lower()
    return bool(actual == expected)


class ArmWriter:
    def __init__(self, raw: RawArm, endpoint: str, *, poll_interval_s: float = 2.0, max_polls: int = 150, verify_attempts: int = 5) -> None:
        self._raw = raw
        self._host = urlsplit(endpoint).netloc.lower()
        self._poll_interval_s = poll_interval_s
        self._max_polls = max_polls
        self._verify_attempts = verify_attempts

    def apply(self, plan: Plan) -> Applied:
        applied = Applied(plan)
        for step in plan.steps:
            self._send(step)
        for step in plan.steps:
            if step.method in ("PUT", "PATCH") and step.body is not None:
                applied.read_back[step.path] = self._verify(step)
            elif step.method == "DELETE" and self.read(step.path, step.api_version) is not None:
                raise VerificationFailed(f"DELETE {step.path}: the resource is still there")
        return applied

    def read(self, path: str, api_version: str) -> Mapping[str, Any] | None:
        response = self._call(lambda: self._raw.send("GET", path, api_version=api_version))
        if response.status_code == 404:
            return None
        self._check(response, "GET", path)
        body: Mapping[str, Any] = response.json()
        return body

    def read_list(self, path: str, api_version: str) -> Iterator[Mapping[str, Any]]:
        """Every item of an ARM list, page by page (`nextLink`), a missing collection being empty."""
        body = self.read(path, api_version) or {}
        while True:
            yield from body.get("value") or []
            link = body.get("nextLink")
            if not link:
                return
            url = self._on_arm(str(link), f"GET {path}: ARM's nextLink")
            page = self._call(functools.partial(self._raw.send_url, "GET", url))
            self._check(page, "GET", path)
            body = page.json() or {}

    # --- internals -----------------------------------------------------------------------------------
    def _on_arm(self, url: str, what: str) -> str:
        """A URL ARM handed back, checked before the bearer token goes anywhere near it."""
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.netloc.lower() != self._host:
            raise WriteFailed(f"{what} points at {parts.scheme}://{parts.netloc}, not the ARM endpoint; not following it")
        return url

    def _send(self, step: Step) -> None:
        headers = {"If-Match": step.if_match} if step.if_match else None
        response = self._call(lambda: self._raw.send(step.method, step.path, api_version=step.api_version, body=step.body, headers=headers))
        self._check(response, step.method, step.path)
        if response.status_code == 202:
            self._wait(response, step)

    def _wait(self, response: HttpResponse, step: Step) -> None:
        url = response.headers.get("Azure-AsyncOperation") or response.headers.get("Location")
        if not url:
            return
        parts = urlsplit(self._on_arm(url, f"{step.method} {step.path}: the operation to poll"))
        for _ in range(self._max_polls):
            status = self._call(lambda: self._raw.send_url("GET", url))
            self._check(status, "GET", parts.path)
            state = str((status.json() or {}).get("status", "")).lower() if status.status_code == 200 else ""
            if state in ("succeeded", ""):
                return
            if state in ("failed", "canceled", "cancelled"):
                raise WriteFailed(f"{step.method} {step.path}: the operation {state}: {arm_error(status)}")
            time.sleep(float(status.headers.get("Retry-After") or self._poll_interval_s))
        raise TransientWriteError(f"{step.method} {step.path}: still running after {self._max_polls} polls")

    def _verify(self, step: Step) -> Mapping[str, Any]:
        """Read back until the change shows (ARM is eventually consistent), a few times at most."""
        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(_NotYet),
                stop=stop_after_attempt(self._verify_attempts),
                wait=wait_exponential(multiplier=0.05, max=2.0),
                reraise=False,
            ):
                with attempt:
                    found = self.read(step.path, step.api_version)
                    if found is None or not contains(found, step.body):
                        raise _NotYet
                    return found
        except RetryError as e:
            raise VerificationFailed(f"{step.method} {step.path}: the read-back does not show the change") from e
        raise VerificationFailed(f"{step.method} {step.path}: no read-back")  # pragma: no cover - Retrying always runs once

    def _call(self, fn: Any) -> HttpResponse:
        try:
            response: HttpResponse = fn()
        except AzureError as e:
            raise TransientWriteError(f"ARM unreachable: {e.message or e}") from e
        return response

    def _check(self, response: HttpResponse, method: str, path: str) -> None:
        code = response.status_code
        if code < 400 or (code == 404 and method == "GET"):
            return
        # Error bodies of key actions may echo nothing secret, but are not read either way.
        detail = "" if path.lower().endswith(("/regeneratekey", "/listkeys")) else f": {arm_error(response)}"
        if code == 412:
            raise PlanStale(f"{method} {path}: the resource changed since the plan was made{detail}")
        if code in (408, 409, 429) or code >= 500:
            raise TransientWriteError(f"{method} {path}: HTTP {code}{detail}")
        raise WriteFailed(f"{method} {path}: HTTP {code}{detail}")
