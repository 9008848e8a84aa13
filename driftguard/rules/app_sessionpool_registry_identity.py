"""Custom-container sandboxes pull their image with a managed identity, never a registry password
kept as a pool secret."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import RuleContext, RuleMeta, prop

META = RuleMeta(
    id="app_sessionpool_registry_identity",
    title="Custom-container session pools pull images with a managed identity",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.App/sessionPools",),
    seed_section="Managed identities; secure AI artifacts",
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference("mcsb", "IM-3", "Manage application identities securely and automatically"),
        Reference("mitre-atlas", "AML.T0055", "Unsecured Credentials"),
        Reference("owasp-llm", "LLM03", "Supply Chain"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    credentials = prop(snapshot.properties, "customContainerTemplate", "registryCredentials")
    if not credentials:
        return []  # no credentials: a public image, or not a custom container
    secret = prop(credentials, "passwordSecretRef")
    if not secret:
        return []
    return [
        context.finding(
            META,
            snapshot,
            f"the image is pulled with a registry password (secret {secret!r}), not a managed identity",
            {
                "server": prop(credentials, "server"),
                "username": prop(credentials, "username"),
                "passwordSecretRef": secret,
                "identity": prop(credentials, "identity"),
            },
        )
    ]
