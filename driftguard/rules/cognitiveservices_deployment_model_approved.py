"""Only models from the approved catalog are deployed, pinned to a version where required."""

from __future__ import annotations

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, prop, same

META = RuleMeta(
    id="cognitiveservices_deployment_model_approved",
    title="Deployments use approved, pinned models",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.CognitiveServices/accounts/deployments",),
    seed_section="Ensure model verification",
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference(
            "azure-policy",
            "aafe3651-cb78-4f68-9f81-e7e41509110f",
            "Cognitive Services Deployments should only use approved Registry Models",
        ),
        Reference("owasp-llm", "LLM03", "Supply Chain"),
        Reference("mitre-atlas", "AML.T0010", "ML Supply Chain Compromise"),
    ),
)


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    models = context.policy.models
    model = prop(snapshot.properties, "model") or {}
    fmt, name, version = (str(prop(model, k) or "") for k in ("format", "name", "version"))
    problems: list[str] = []
    if models.approved and not any(
        same(fmt, a.format) and same(name, a.name) and (a.version is None or same(version, a.version)) for a in models.approved
    ):
        problems.append(f"model {fmt}/{name}:{version or '(no version)'} is not in the approved catalog")
    upgrade = prop(snapshot.properties, "versionUpgradeOption")
    # Absent means OnceNewDefaultVersionAvailable: the service moves the deployment to new versions.
    if models.require_version_pinning and not same(upgrade, "NoAutoUpgrade"):
        problems.append(f"version auto-upgrade is {upgrade or 'OnceNewDefaultVersionAvailable (default)'}, pinning is required")
    if not problems:
        if not models.approved:
            # Without a catalog there is nothing to hold the model against: "approved" cannot be said
            # (a deployment is never passed for want of a list), and it is no violation either.
            raise NotEvaluable("no approved model catalog in the policy (models.approved)")
        return []
    return [
        context.finding(
            META,
            snapshot,
            "; ".join(problems),
            {"model": {"format": fmt, "name": name, "version": version}, "versionUpgradeOption": upgrade},
        )
    ]
