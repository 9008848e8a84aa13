"""Running one rule on one resource, the way the engine does."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from driftguard.model import Finding, ResourceSnapshot
from driftguard.policy import Policy
from driftguard.rules.base import RuleContext


def run(
    rule: ModuleType, resource: Mapping[str, Any], *, policy: Policy | None = None, related: Mapping[str, Any] | None = None, **context: Any
) -> list[Finding]:
    snapshot = ResourceSnapshot(resource, {k: tuple(v) for k, v in (related or {}).items()})
    frozen = copy.deepcopy(resource)
    found: list[Finding] = rule.evaluate(snapshot, RuleContext(policy=policy or Policy(), **context))
    assert resource == frozen, "a rule must never mutate the snapshot"
    for f in found:
        assert f.rule == rule.META.id
        assert f.resource_id == resource["id"]
    return found


def without(resource: Mapping[str, Any], *path: str) -> dict[str, Any]:
    """A copy of `resource` with the key at `path` removed (the service default applies)."""
    out = copy.deepcopy(dict(resource))
    cur: Any = out
    for key in path[:-1]:
        cur = cur[key]
    cur.pop(path[-1], None)
    return out


def with_value(resource: Mapping[str, Any], value: Any, *path: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(resource))
    cur: Any = out
    for key in path[:-1]:
        cur = cur.setdefault(key, {})
    cur[path[-1]] = value
    return out
