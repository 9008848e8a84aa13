"""Sending a remediation plan: exactly its requests, then a read-back that proves the change holds.

Failures are sorted for the caller: `PlanStale` (412: the resource changed since the plan was made,
re-read and re-plan), `TransientWriteError` (409 conflicting operation, throttling or 5xx after
azure-core's own retries, an operation still running when the time budget is spent: raise so Event
Grid redelivers), `WriteFailed` (any other refusal, a failed or canceled operation: needs people).
Responses to key actions are never read: they hold keys.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError
from azure.core.rest import HttpResponse
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_before_delay, wait_exponential

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
    """Sends plans to ARM. `budget_s` bounds one `apply` (writes, operation polling and read-back): the
    Event Grid trigger must answer within 30 s, and an operation still running when the budget is spent
    is a `TransientWriteError`, so that the redelivery re-reads the resource instead of waiting here.
    `poll_interval_s` is the wait between polls when ARM names none (`Retry-After`); `verify_s` is how
    long the read-back may wait for ARM's eventual consistency to show the change."""

    def __init__(self, raw: RawArm, endpoint: str, *, poll_interval_s: float = 2.0, budget_s: float = 20.0, verify_s: float = 5.0) -> None:
        self._raw = raw
        self._host = urlsplit(endpoint).netloc.lower()
        self._poll_interval_s = poll_interval_s
        self._budget_s = budget_s
        self._verify_s = verify_s

    def apply(self, plan: Plan, *, correlation: str | None = None) -> Applied:
        """Sends the plan's requests, then reads back. `correlation` goes as `x-ms-correlation-request-id`,
        which ARM writes into the Activity Log and the Event Grid event of each request: the event that
        comes back tells that the request landed."""
        deadline = time.monotonic() + self._budget_s
        applied = Applied(plan)
        for step in plan.steps:
            self._send(step, deadline, correlation)
        for step in plan.steps:
            if step.method in ("PUT", "PATCH") and step.body is not None:
                applied.read_back[step.path] = self._verify(step, deadline)
            elif step.method == "DELETE" and self.read(step.path, step.api_version) is not None:
                raise VerificationFailed(f"DELETE {step.path}: the resource is still there")
        return applied

    def read(self, path: str, api_version: str, *, params: dict[str, str] | None = None) -> Mapping[str, Any] | None:
        response = self._call(lambda: self._raw.send("GET", path, api_version=api_version, params=params))
        if response.status_code == 404:
            return None
        self._check(response, "GET", path)
        body: Mapping[str, Any] = response.json()
        return body

    def read_list(self, path: str, api_version: str, *, params: dict[str, str] | None = None) -> Iterator[Mapping[str, Any]]:
        """Every item of an ARM list, page by page (`nextLink`), a missing collection being empty."""
        body = self.read(path, api_version, params=params) or {}
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

    def _send(self, step: Step, deadline: float, correlation: str | None) -> None:
        headers = {"If-Match": step.if_match} if step.if_match else {}
        if correlation:
            headers["x-ms-correlation-request-id"] = correlation
        response = self._call(lambda: self._raw.send(step.method, step.path, api_version=step.api_version, body=step.body, headers=headers))
        self._check(response, step.method, step.path)
        # ARM answers a long-running operation with 200, 201 or 202 and a header to follow (Deployments_CreateOrUpdate:
        # 201 + Azure-AsyncOperation); the status URL is the truth when both headers come (ARM async operations docs).
        if response.status_code in (200, 201, 202):
            operation = response.headers.get("Azure-AsyncOperation")
            location = response.headers.get("Location")
            if operation or location:
                self._wait(response, step, str(operation or location), by_status=bool(operation), deadline=deadline)

    def _wait(self, response: HttpResponse, step: Step, url: str, *, by_status: bool, deadline: float) -> None:
        """Polls the operation until it ends, each poll after the `Retry-After` ARM asked for. An
        `Azure-AsyncOperation` answers 200 with a `status`; a `Location` answers 202 until done."""
        what = f"{step.method} {step.path}"
        url = self._on_arm(url, f"{what}: the operation to poll")
        polls = 0
        delay = self._retry_after(response)
        while True:
            if time.monotonic() + delay > deadline:
                raise TransientWriteError(f"{what}: the operation is still running after {polls} poll(s) within {self._budget_s:g} s")
            time.sleep(delay)
            status = self._call(functools.partial(self._raw.send_url, "GET", url))
            polls += 1
            self._check(status, "GET", f"{what}: the operation status")
            if status.status_code == 404:  # expired or never known: the redelivery re-reads the resource
                raise TransientWriteError(f"{what}: the operation status is gone (HTTP 404)")
            if by_status:
                state = str((status.json() or {}).get("status", "")).lower() if status.status_code == 200 else ""
                if state == "succeeded":
                    return
                if state in ("failed", "canceled", "cancelled"):
                    raise WriteFailed(f"{what}: the operation {state}: {arm_error(status)}")
            elif status.status_code != 202:
                return
            delay = self._retry_after(status)

    def _retry_after(self, response: HttpResponse) -> float:
        """`Retry-After` in seconds (a number or an HTTP date), else the configured interval."""
        value = (response.headers.get("Retry-After") or "").strip()
        if not value:
            return self._poll_interval_s
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return self._poll_interval_s

    def _verify(self, step: Step, deadline: float) -> Mapping[str, Any]:
        """Read back until the change shows: ARM is eventually consistent, so a fresh read may still
        show the old state for a few seconds. Retried with backoff for `verify_s`, within the budget."""
        window = max(0.0, min(self._verify_s, deadline - time.monotonic()))
        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(_NotYet),
                stop=stop_before_delay(window),
                wait=wait_exponential(multiplier=0.25, max=2.0),
                reraise=False,
            ):
                with attempt:
                    found = self.read(step.path, step.api_version)
                    if found is None or not contains(found, step.body):
                        raise _NotYet
                    return found
        except RetryError as e:
            raise VerificationFailed(f"{step.method} {step.path}: the read-back does not show the change after {window:.1f} s") from e
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
