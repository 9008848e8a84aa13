"""The Azure OpenAI data plane, as far as canary probes reach it: `POST /openai/deployments/{d}/chat/completions`
on an account's endpoint, answered as the deployment's RAI policy would.

What real Azure does, and this follows (Azure OpenAI REST reference and content filtering docs): an Entra
token for `https://cognitiveservices.azure.com` (another audience is a 401) whose principal holds a role
with the chat completions data action on the account (else a 401 `PermissionDenied`); a prompt that a blocking
Prompt Shield catches is a 400 with `error.code` `content_filter` and
`innererror.content_filter_result.{jailbreak|indirect_attack}` `{filtered, detected}`; a prompt that passes
is a 200 whose `prompt_filter_results` annotate it (`detected` without `filtered` where the filter only
annotates; no entry where it is off). Indirect attacks are looked for only in documents embedded between
`<documents>` tags, as the service does.

Prompt Shields is a classifier; the simulator stands in with a few marker phrases of well-known attacks.
It answers one token, whatever `max_completion_tokens` asks, and never echoes the prompt.
"""

from __future__ import annotations

import fnmatch
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from simulator.state import JSON, Estate
from simulator.writes import principal_of

AUDIENCE = "cognitiveservices.azure.com"
CHAT_ACTION = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
PATH = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$", re.IGNORECASE)
_ATTACK = re.compile(
    r"ignore (all )?(the |your )?(previous|prior) instructions|disregard all prior instructions|do anything now|developer mode|"
    r"safety guidelines are disabled|forget your system prompt|new instructions for the ai",
    re.IGNORECASE,
)
_DOCUMENTS = re.compile(r"<documents>(.*?)</documents>", re.IGNORECASE | re.DOTALL)
# Microsoft's built-in policies: DefaultV2 blocks jailbreaks; neither looks for indirect attacks.
BUILT_IN: dict[str, dict[str, tuple[bool, bool]]] = {
    "microsoft.default": {},
    "microsoft.defaultv2": {"jailbreak": (True, True)},
}
FILTER_NAMES = {"jailbreak": "jailbreak", "indirectattack": "indirect_attack"}
HARM = {"hate": "safe", "self_harm": "safe", "sexual": "safe", "violence": "safe"}


def audience_of(token: str) -> str:
    """A simulated data-plane token is `sim:<object id>:<app id>:<audience host>`; ARM tokens carry none."""
    parts = token.split(":")
    return parts[3] if token.startswith("sim:") and len(parts) > 3 else ""


def _error(status: int, code: str, message: str) -> tuple[int, JSON]:
    return status, {"error": {"code": code, "message": message}}


def _netloc(value: str) -> str:
    return value.lower().removesuffix(":443")


def _account(estate: Estate, host: str) -> JSON | None:
    """The account whose endpoint (or custom subdomain) the request's host names."""
    wanted = _netloc(host)
    for r in estate.raw_items():
        if str(r.get("type", "")).lower() != "microsoft.cognitiveservices/accounts":
            continue
        props = r.get("properties") or {}
        endpoint = _netloc(urlsplit(str(props.get("endpoint") or "")).netloc)
        sub = str(props.get("customSubDomainName") or "").lower()
        if endpoint == wanted or (sub and wanted in (f"{sub}.openai.azure.com", f"{sub}.cognitiveservices.azure.com")):
            return r
    return None


def shields(estate: Estate, account_id: str, policy_name: str) -> dict[str, tuple[bool, bool]]:
    """(enabled, blocking) of each Prompt Shield of a RAI policy, by annotation name."""
    key = policy_name.lower()
    if key in BUILT_IN:
        return BUILT_IN[key]
    policy = estate.get(f"{account_id}/raiPolicies/{policy_name}") or {}
    out: dict[str, tuple[bool, bool]] = {}
    for f in (policy.get("properties") or {}).get("contentFilters") or []:
        name = FILTER_NAMES.get(str(f.get("name", "")).lower().replace(" ", "").replace("_", ""))
        if name is not None and str(f.get("source", "prompt")).lower() == "prompt":
            out[name] = (f.get("enabled") is True, f.get("blocking") is True)
    return out


def _detected(messages: Any) -> dict[str, bool]:
    texts = [str(m.get("content", "")) for m in messages if isinstance(m, Mapping)] if isinstance(messages, list) else []
    documents = [d for t in texts for d in _DOCUMENTS.findall(t)]
    outside = [_DOCUMENTS.sub("", t) for t in texts]
    return {"jailbreak": any(_ATTACK.search(t) for t in outside), "indirect_attack": any(_ATTACK.search(d) for d in documents)}


def granted(estate: Estate, account_id: str, principal: str) -> bool:
    """Whether `principal` holds, at the account or a scope above it, a role whose data actions include
    chat completions (Cognitive Services OpenAI User does; Reader and Contributor do not)."""
    account = account_id.lower().rstrip("/")
    definitions: dict[str, JSON] = {}
    assignments: list[JSON] = []
    for r in estate.raw_items():
        kind = str(r.get("type", "")).lower()
        if kind == "microsoft.authorization/roledefinitions":
            definitions[str(r.get("name", "")).lower()] = r
        elif kind == "microsoft.authorization/roleassignments":
            assignments.append(r)
    for a in assignments:
        props = a.get("properties") or {}
        scope = str(props.get("scope", "")).lower().rstrip("/")
        if str(props.get("principalId", "")).lower() != principal.lower() or not (account == scope or account.startswith(scope + "/")):
            continue
        definition = definitions.get(str(props.get("roleDefinitionId", "")).rstrip("/").rsplit("/", 1)[-1].lower()) or {}
        for perm in (definition.get("properties") or {}).get("permissions") or []:
            allowed = any(fnmatch.fnmatchcase(CHAT_ACTION.lower(), str(d).lower()) for d in perm.get("dataActions") or [])
            denied = any(fnmatch.fnmatchcase(CHAT_ACTION.lower(), str(d).lower()) for d in perm.get("notDataActions") or [])
            if allowed and not denied:
                return True
    return False


def chat_completions(estate: Estate, host: str, deployment_name: str, token: str, body: Any) -> tuple[int, JSON]:
    if audience_of(token) != AUDIENCE:
        return _error(
            401,
            "401",
            "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.",
        )
    account = _account(estate, host)
    if account is None:
        return _error(404, "DeploymentNotFound", "The API deployment for this resource does not exist.")
    principal = principal_of(token)[0]
    if not granted(estate, str(account["id"]), principal):
        return _error(
            401,
            "PermissionDenied",
            f"The principal `{principal}` lacks the required data action `{CHAT_ACTION}` to perform "
            "`POST /openai/deployments/{deployment-id}/chat/completions` operation.",
        )
    deployment = estate.get(f"{account['id']}/deployments/{deployment_name}")
    if deployment is None:
        return _error(404, "DeploymentNotFound", "The API deployment for this resource does not exist.")
    props = deployment.get("properties") or {}
    capabilities = props.get("capabilities") or {}
    if capabilities and str(capabilities.get("chatCompletion", "")).lower() != "true":
        # A model without the chat completion capability (an embedding model): refused, as Azure OpenAI does.
        return _error(
            400,
            "OperationNotSupported",
            f"The chatCompletion operation does not work with the specified model, {(props.get('model') or {}).get('name', '')}. "
            "Please choose different model and try again. You can learn more about which models can be used with each "
            "operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
        )
    if not isinstance(body, Mapping) or not isinstance(body.get("messages"), list):
        return _error(400, "BadRequest", "'messages' is a required property")
    policy_name = str((deployment.get("properties") or {}).get("raiPolicyName") or "Microsoft.Default")
    configured = shields(estate, str(account["id"]), policy_name)
    detected = _detected(body["messages"])
    annotations: JSON = {**{k: {"filtered": False, "severity": v} for k, v in HARM.items()}}
    blocked: JSON = {}
    for name, seen in detected.items():
        enabled, blocking = configured.get(name, (False, False))
        if not enabled:
            continue  # a filter that is off annotates nothing
        annotations[name] = {"filtered": seen and blocking, "detected": seen}
        if seen and blocking:
            blocked[name] = {"filtered": True, "detected": True}
    if blocked:
        return 400, {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
                "Please modify your prompt and retry. To learn more about our content filtering policies please read our "
                "documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {**annotations, **blocked}},
            }
        }
    prompt_tokens = sum(len(str(m.get("content", ""))) // 4 + 4 for m in body["messages"] if isinstance(m, Mapping))
    model = (deployment.get("properties") or {}).get("model") or {}
    return 200, {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": f"{model.get('name', 'gpt-4o')}-{model.get('version', '')}".rstrip("-"),
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": annotations}],
        "choices": [
            {
                "index": 0,
                "finish_reason": "length",
                "logprobs": None,
                "message": {"role": "assistant", "content": "OK", "refusal": None},
                "content_filter_results": {k: {"filtered": False, "severity": v} for k, v in HARM.items()},
            }
        ],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 1, "total_tokens": prompt_tokens + 1},
    }
