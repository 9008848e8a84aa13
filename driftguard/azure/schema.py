"""What a request body may hold, as the management SDK's models say: they are generated from Microsoft's
REST specs at the api-version the code pins, with each property's JSON key (`_attribute_map`) and
whether it is read-only (`_validation`). A full PUT sends back what was read minus what the model marks
read-only or does not define: the service ignores or refuses those, and a read-only value sent back is a
claim the request cannot make."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any


def writable(body: Mapping[str, Any], model: type[Any]) -> dict[str, Any]:
    """`body` keeping only the properties `model` defines as writable, nested models included."""
    namespace = vars(sys.modules[model.__module__])
    fields: dict[str, tuple[str, str]] = {spec["key"]: (attr, spec["type"]) for attr, spec in model._attribute_map.items()}
    if any("." in key for key in fields):
        # A flattened model ("properties.x" keys) would need the nesting rebuilt: not one this code uses.
        raise TypeError(f"{model.__name__} flattens its properties: writable() does not handle that")
    readonly = {attr for attr, rule in model._validation.items() if rule.get("readonly")}
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key not in fields or fields[key][0] in readonly:
            continue
        out[key] = _value(value, fields[key][1], namespace)
    return out


def _value(value: Any, type_name: str, namespace: Mapping[str, Any]) -> Any:
    """A value of the model type `type_name` ("Sku", "[ThrottlingRule]", "{str}", "int", ...)."""
    if type_name.startswith("[") and isinstance(value, list):
        return [_value(v, type_name[1:-1], namespace) for v in value]
    if type_name.startswith("{") and isinstance(value, Mapping):
        return {k: _value(v, type_name[1:-1], namespace) for k, v in value.items()}
    nested = namespace.get(type_name)
    if isinstance(nested, type) and hasattr(nested, "_attribute_map") and isinstance(value, Mapping):
        return writable(value, nested)
    return value
