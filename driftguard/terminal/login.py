"""A missing or broken Azure login, told in one line.

DefaultAzureCredential's own failure is a 26-line list of every credential it tried, and azure-identity
logs the same list as a warning; by the time it reaches a command it may be wrapped in a Resource
Graph or ARM error, or raised inside the event path as "ARM unreachable". Live commands therefore ask
for a token once before doing anything (`check`), and any error whose chain holds an authentication
failure is reported as the login it is (`is_login_failure`).
"""

from __future__ import annotations

import logging

from azure.core.exceptions import ClientAuthenticationError

MESSAGE = "not signed in to Azure: run `az login` (or `azd auth login`), or run where a managed identity is available"
ARM_SCOPE = "/.default"


def quiet_azure_logging() -> None:
    """azure-identity logs each failed credential at WARNING; with no logging configured Python prints
    those to stderr. The command line reports the failure itself, in one line."""
    azure = logging.getLogger("azure")
    if not any(isinstance(h, logging.NullHandler) for h in azure.handlers):
        azure.addHandler(logging.NullHandler())
    azure.propagate = False


def is_login_failure(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        # No response: the credential failed before any request (an HTTP 401 from ARM has one, and is
        # reported as the refusal it is).
        if isinstance(current, ClientAuthenticationError) and getattr(current, "response", None) is None:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def check(endpoint: str, managed_identity_client_id: str | None) -> None:
    """Raises ClientAuthenticationError when no credential yields a token for ARM. The token itself is
    dropped at once: it is never shown, logged or kept."""
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential(managed_identity_client_id=managed_identity_client_id)
    try:
        credential.get_token(endpoint.rstrip("/") + ARM_SCOPE)
    finally:
        credential.close()
