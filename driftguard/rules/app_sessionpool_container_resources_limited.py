"""Custom-container sandboxes declare CPU and memory within the policy's `sandboxes.max_cpu_cores`
and `sandboxes.max_memory_gib`, so code an agent wrote cannot take what it likes."""

from __future__ import annotations

import re
from typing import Any

from driftguard.model import Finding, Mode, Reference, ResourceSnapshot, Severity
from driftguard.rules.base import NotEvaluable, RuleContext, RuleMeta, prop, prop_list, same

META = RuleMeta(
    id="app_sessionpool_container_resources_limited",
    title="Custom-container session pools declare bounded CPU and memory",
    severity=Severity.MEDIUM,
    resource_types=("Microsoft.App/sessionPools",),
    seed_section="Sandbox agent code execution",
    default_mode=Mode.TICKET,
    remediation=None,
    references=(
        Reference("mitre-atlas", "AML.T0029", "Denial of ML Service"),
        Reference("mitre-atlas", "AML.T0034", "Cost Harvesting"),
        Reference("owasp-llm", "LLM10", "Unbounded Consumption"),
    ),
)

# Memory as the service writes it ("1Gi", "0.5Gi", "250Mb"): binary and decimal units both taken as
# their binary size, a difference far below any limit worth setting.
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt])?(?:i|b|ib)?\s*$", re.IGNORECASE)
_GIB_PER_UNIT = {"k": 1 / 1024**2, "m": 1 / 1024, "g": 1.0, "t": 1024.0}


def memory_gib(value: str) -> float:
    match = _MEMORY.match(value)
    if match is None:
        raise NotEvaluable(f"memory {value!r} is not a size")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    if not unit:
        return number / 1024**3  # plain bytes
    return number * _GIB_PER_UNIT[unit]


def is_custom(snapshot: ResourceSnapshot) -> bool:
    kind = prop(snapshot.properties, "containerType")
    if kind is None:
        return prop(snapshot.properties, "customContainerTemplate") is not None
    return same(kind, "CustomContainer")


def _problems(container: Any, cpu_max: float, memory_max: float) -> list[str]:
    name = prop(container, "name") or prop(container, "image") or "?"
    cpu, memory = prop(container, "resources", "cpu"), prop(container, "resources", "memory")
    problems: list[str] = []
    if cpu is None:
        problems.append(f"{name}: no CPU declared")
    else:
        try:
            cores = float(cpu)
        except (TypeError, ValueError):
            raise NotEvaluable(f"cpu {cpu!r} is not a number of cores") from None
        if cores > cpu_max:
            problems.append(f"{name}: {cores:g} cores, over {cpu_max:g}")
    if memory is None:
        problems.append(f"{name}: no memory declared")
    elif not isinstance(memory, str):
        raise NotEvaluable(f"memory {memory!r} is not a size")
    elif memory_gib(memory) > memory_max:
        problems.append(f"{name}: {memory}, over {memory_max:g} GiB")
    return problems


def evaluate(snapshot: ResourceSnapshot, context: RuleContext) -> list[Finding]:
    if not is_custom(snapshot):
        return []  # the platform's built-in containers come with the platform's fixed sizes
    limits = context.policy.sandboxes
    containers = prop_list(snapshot.properties, "customContainerTemplate", "containers")
    problems = [p for c in containers for p in _problems(c, limits.max_cpu_cores, limits.max_memory_gib)]
    if not problems:
        return []
    evidence = {
        "resources": [{"name": prop(c, "name"), "resources": prop(c, "resources")} for c in containers],
        "max_cpu_cores": limits.max_cpu_cores,
        "max_memory_gib": limits.max_memory_gib,
    }
    return [context.finding(META, snapshot, "; ".join(problems), evidence)]
