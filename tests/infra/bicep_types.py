"""Resource bodies checked against Bicep's generated types (the bicep-types-az JSON of ../shared/corpus/bicep-types).

`load_types` indexes every `ResourceType` by "Type@apiVersion"; `check_resource` walks one pycep resource body
against its type: every object key must be a writable property (unknown and ReadOnly ones are errors), a literal
string must be one the type allows (a union of string literals is an enum, open or closed), a literal bool or int where
the type says so. Expressions are skipped: pycep gives dicts for function calls and operators, a plain string for
a reference to a parameter, variable, resource or loop variable (hence `identifiers`), and interpolations keep `${`.
Not checked: string patterns and lengths, integer ranges, required properties (a body may set them by expression).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

READ_ONLY = 2  # ObjectTypePropertyFlags.ReadOnly
# Keys of a resource declaration that are Bicep's, not the resource type's.
BICEP_KEYWORDS = frozenset({"parent", "scope", "dependsOn"})
EXPRESSION_KEYS = frozenset({"function", "operator", "loop_type"})

Types = dict[str, tuple[list[dict[str, Any]], dict[str, Any]]]  # "Type@version" -> (the file's nodes, the body node)


def load_types(folder: Path) -> Types:
    types: Types = {}
    for path in sorted(folder.glob("*.json")):
        nodes: list[dict[str, Any]] = json.loads(path.read_text())
        for node in nodes:
            if node.get("$type") == "ResourceType":
                types[node["name"]] = (nodes, resolve(nodes, node["body"]))
    return types


def resolve(nodes: list[dict[str, Any]], ref: dict[str, Any]) -> dict[str, Any]:
    return nodes[int(ref["$ref"].removeprefix("#/"))]


def identifiers(parsed: dict[str, Any]) -> set[str]:
    """Names a plain string in pycep's output may refer to: parameters, variables, resources, modules, loop variables."""
    names: set[str] = set()
    for section in ("parameters", "variables", "resources", "modules"):
        names.update(parsed.get(section) or {})

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            detail = value.get("loop_type", {}).get("detail") if isinstance(value.get("loop_type"), dict) else None
            if isinstance(detail, dict):
                names.update(v for k, v in detail.items() if k in {"item_name", "index_name"} and isinstance(v, str))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(parsed)
    return names


def body_of(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource's body, unwrapped from a loop or condition, without Bicep's own keywords."""
    config: dict[str, Any] = resource["config"]
    if ("loop_type" in config or "condition" in config) and isinstance(config.get("config"), dict):
        config = config["config"]
    return {k: v for k, v in config.items() if k not in BICEP_KEYWORDS}


def resources(parsed: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(symbolic name, "Type@version", body) for every resource the file declares (not `existing` ones)."""
    for name, resource in (parsed.get("resources") or {}).items():
        if not resource.get("existing"):
            yield name, f"{resource['type']}@{resource['api_version']}", body_of(resource)


def check_resource(types: Types, type_name: str, body: dict[str, Any], names: Iterable[str] = ()) -> list[str]:
    nodes, node = types[type_name]
    return Checker(nodes, frozenset(names)).check(body, node, type_name)


class Checker:
    def __init__(self, nodes: list[dict[str, Any]], names: frozenset[str]) -> None:
        self.nodes = nodes
        self.names = names

    def is_expression(self, value: Any) -> bool:
        if isinstance(value, dict):
            return bool(EXPRESSION_KEYS & value.keys())
        if isinstance(value, str):
            return "${" in value or value in self.names or value.split(".")[0].split("[")[0] in self.names
        return value is None  # pycep's null also stands for an absent optional argument

    def check(self, value: Any, node: dict[str, Any], path: str) -> list[str]:
        if self.is_expression(value):
            return []
        kind = node["$type"]
        if kind == "AnyType":
            return []
        if kind == "UnionType":
            elements = [resolve(self.nodes, e) for e in node["elements"]]
            literals = sorted(e["value"] for e in elements if e["$type"] == "StringLiteralType")
            if isinstance(value, str) and literals:
                # An enum, closed or open (literals plus StringType, from `modelAsString`): Bicep lets any string
                # through an open one, ARM usually rejects a value it does not list, so both are held to the list.
                return [] if value in literals else [f"{path}: {value!r} is not one of {literals}"]
            outcomes = [self.check(value, e, path) for e in elements]
            return [] if any(not o for o in outcomes) else min(outcomes, key=len)
        if kind == "StringLiteralType":
            return [] if value == node["value"] else [f"{path}: {value!r} is not {node['value']!r}"]
        if kind == "StringType":
            return [] if isinstance(value, str) else [f"{path}: {value!r} is not a string"]
        if kind == "BooleanType":
            return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a bool"]
        if kind == "IntegerType":
            return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: {value!r} is not an int"]
        if kind == "ArrayType":
            if not isinstance(value, list):
                return [f"{path}: {value!r} is not an array"]
            item = resolve(self.nodes, node["itemType"])
            return [error for i, v in enumerate(value) for error in self.check(v, item, f"{path}[{i}]")]
        if kind == "ObjectType":
            return self.check_object(value, node.get("properties", {}), node.get("additionalProperties"), path)
        if kind == "DiscriminatedObjectType":
            return self.check_discriminated(value, node, path)
        return [f"{path}: unknown type node {kind}"]

    def check_object(self, value: Any, properties: dict[str, Any], additional: dict[str, Any] | None, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        errors: list[str] = []
        for key, item in value.items():
            where = f"{path}.{key}"
            prop = properties.get(key)
            if prop is None:
                if additional is None:
                    errors.append(f"{where}: not a property (known: {', '.join(sorted(properties))})")
                else:
                    errors.extend(self.check(item, resolve(self.nodes, additional), where))
            elif prop.get("flags", 0) & READ_ONLY:
                errors.append(f"{where}: read-only")
            else:
                errors.extend(self.check(item, resolve(self.nodes, prop["type"]), where))
        return errors

    def check_discriminated(self, value: Any, node: dict[str, Any], path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        base: dict[str, Any] = node.get("baseProperties", {})
        elements: dict[str, Any] = node["elements"]
        tag = value.get(node["discriminator"])
        if isinstance(tag, str) and tag in elements:
            variant = resolve(self.nodes, elements[tag])
            return self.check_object(value, {**base, **variant.get("properties", {})}, variant.get("additionalProperties"), path)
        if self.is_expression(tag):  # the variant is unknown: accept any variant's properties
            merged = dict(base)
            for ref in elements.values():
                merged.update(resolve(self.nodes, ref).get("properties", {}))
            return self.check_object(value, merged, None, path)
        return [f"{path}.{node['discriminator']}: {tag!r} is not one of {sorted(elements)}"]
