"""A gateway calls its AI accounts with its managed identity, never with an account key: a backend that
points at an AI account carries no `api-key` (or `Ocp-Apim-Subscription-Key`) header or query parameter
in its credentials. Managed-identity authentication is set in the API's policy
(`authentication-managed-identity`), which the backend resource does not show; so the key is what can be
seen, and a key in a backend is what this rule fails on."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, parent_id
from driftguard.rules.gateway import is_ai_backend, key_credentials

META = RuleMeta(
    id="apimanagement_backend_managed_identity",
    title="AI gateway backends call AI accounts with the gateway's managed identity, not a key",
    severity=Severity.HIGH,
    resource_types=("Microsoft.ApiManagement/service/backends",),
    seed_section="Use Entra ID, eliminate API keys; managed identities",
    # The fix is two changes people must make together (the API policy's managed-identity
    # authentication, then the key header removed): removing the header alone breaks the API.
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference("azure-policy", "c15dcc82-b93c-4dcb-9332-fbf121685b54", "API Management calls to API backends should be authenticated"),
        Reference("mcsb", "IM-3", "Manage application identities securely and automatically"),
        Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
        Reference("owasp-llm", "LLM02", "Sensitive Information Disclosure"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    props = snapshot.properties
    if not is_ai_backend(props):
        return []
    keys = key_credentials(props)
    if not keys:
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"the backend sends an AI account key ({', '.join(sorted(keys))}): authenticate with the gateway's managed identity "
            "(policy authentication-managed-identity, resource https://cognitiveservices.azure.com) and remove the key",
            {"gateway": parent_id(snapshot.id), "url": props.get("url"), "credentials": keys},
        )
    ]
