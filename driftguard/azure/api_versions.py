"""One api-version per resource provider and type, pinned here and nowhere else (CONTROLS.md)."""

from __future__ import annotations

COGNITIVE_SERVICES = "2025-09-01"
MACHINE_LEARNING = "2025-06-01"
SEARCH = "2025-05-01"
STORAGE = "2025-06-01"
AUTHORIZATION = "2022-04-01"
AUTHORIZATION_SCHEDULES = "2020-10-01"  # role assignment schedule instances (PIM)
RESOURCE_GRAPH = "2024-04-01"
DIAGNOSTIC_SETTINGS = "2021-05-01-preview"
SECURITY_PRICINGS = "2024-01-01"
APP = "2026-07-01"  # Container Apps session pools: azure-mgmt-appcontainers 5.1's default, its newest stable
NETWORK = "2024-05-01"  # private endpoints (their subnet): Microsoft.Network/privateEndpoints, as infra/ deploys them
API_MANAGEMENT = "2024-05-01"  # AI gateways: azure-mgmt-apimanagement 5.0's default, its newest stable

BY_NAMESPACE: dict[str, str] = {
    "microsoft.cognitiveservices": COGNITIVE_SERVICES,
    "microsoft.machinelearningservices": MACHINE_LEARNING,
    "microsoft.search": SEARCH,
    "microsoft.storage": STORAGE,
    "microsoft.authorization": AUTHORIZATION,
    "microsoft.resourcegraph": RESOURCE_GRAPH,
    "microsoft.insights": DIAGNOSTIC_SETTINGS,
    "microsoft.security": SECURITY_PRICINGS,
    "microsoft.app": APP,
    "microsoft.apimanagement": API_MANAGEMENT,
}


def for_type(resource_type: str) -> str:
    namespace = resource_type.split("/", 1)[0].lower()
    try:
        return BY_NAMESPACE[namespace]
    except KeyError:
        raise KeyError(f"no api-version pinned for {resource_type}") from None
