"""The one HTTP call every sink makes: bounded time, errors sorted into transient or not, and no
response body (which may echo credentials or tenant data) in the messages."""

from __future__ import annotations

from typing import Any

import requests

from driftguard.cases.sinks import SinkError

TIMEOUT = (5, 20)  # seconds to connect, to read: a slow sink must not hold the delivery timer


def call(session: requests.Session, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
    try:
        response = session.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.RequestException as e:
        raise SinkError(f"{what}: {type(e).__name__}", transient=True) from e
    if response.status_code >= 400 or response.status_code in (301, 302, 307, 308):
        transient = response.status_code >= 500 or response.status_code in (408, 429)
        raise SinkError(f"{what}: HTTP {response.status_code}", transient=transient)
    return response
