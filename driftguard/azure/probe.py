"""The one gateway to Azure OpenAI's data plane: sends a canary probe to a chat deployment.

Through the `openai` package's Azure client, with an Entra token for the Cognitive Services audience
(never a key: the prober holds `Cognitive Services OpenAI User`, nothing that lists keys) and a one-token
answer. What comes back is reduced to its status and JSON body for `canary.judge`; the body is dropped
right after, so neither prompt nor answer text outlives the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai
from azure.core.credentials import TokenCredential
from azure.identity import get_bearer_token_provider

from driftguard.canary import API_VERSION, AUDIENCE, Probe


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None  # None: no HTTP answer at all (network, timeout)
    body: Any


class OpenAIProber:
    def __init__(self, credential: TokenCredential, *, http_client: httpx2.Client | None = None, timeout_s: float = 30.0) -> None:
        self._tokens = get_bearer_token_provider(credential, AUDIENCE)
        self._http = http_client
        self._timeout = timeout_s
        self._clients: dict[str, openai.AzureOpenAI] = {}

    def _client(self, endpoint: str) -> openai.AzureOpenAI:
        # The endpoint is the account's ARM `properties.endpoint`, never text from an event.
        if urlsplit(endpoint).scheme != "https":
            raise ValueError(f"refusing to send a bearer token to {endpoint!r}: not https")
        client = self._clients.get(endpoint)
        if client is None:
            client = self._clients[endpoint] = openai.AzureOpenAI(
                azure_endpoint=endpoint,
                azure_ad_token_provider=self._tokens,
                api_version=API_VERSION,
                http_client=self._http,
                timeout=self._timeout,
                # A probe is cheap to skip and costly to repeat: no retries; a 429 is an inconclusive verdict.
                max_retries=0,
            )
        return client

    def send(self, endpoint: str, deployment: str, probe: Probe) -> Answer:
        client = self._client(endpoint)
        try:
            raw = client.chat.completions.with_raw_response.create(
                model=deployment,
                messages=probe.messages(),  # type: ignore[arg-type]
                max_completion_tokens=1,
            )
        except openai.APIStatusError as e:
            return Answer(e.status_code, _json(e.response))
        except openai.APIConnectionError:
            return Answer(None, None)
        return Answer(raw.http_response.status_code, _json(raw.http_response))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
