"""What Azure accepts, derived from Microsoft's specs as the `azure-mgmt-*` packages carry them.

The packages are generated from `Azure/azure-rest-api-specs`: their operation modules hold, per
api-version, every operation's method and URL template, the status codes it answers with, its
long-running-operation options and its body model; their models hold every property, which are
read-only or required, and the enums. This module reads those facts out of the installed packages
(nothing here is written to agree with DriftGuard's client) and gives the simulator:

- `Catalog.match(method, path)`: the operation Azure has for a request, or None;
- `Schema.clean(body)`: the body as the provider takes it (unknown and read-only properties dropped,
  a bad enum value, a wrong JSON type or a missing required property refused).

Two providers have no installable package at the pinned api-version: Machine Learning 2025-06-01
(azure-mgmt-machinelearningservices stops at 2020-08-01, its beta at 2023-04-01) and diagnostic
settings 2021-05-01-preview (azure-mgmt-monitor 7 dropped them). Their few operations are declared in
`simulator/spec_declared.py` from the REST spec, in the same structures, and say so.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from types import ModuleType
from typing import Any


class BodyRefused(ValueError):
    """A body Azure would answer with 400: `target` is the JSON path of the offending value."""

    def __init__(self, message: str, target: str) -> None:
        super().__init__(message)
        self.message = message
        self.target = target


# --- schemas -------------------------------------------------------------------------------------------

PRIMITIVES = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "long": (int,),
    "float": (int, float),
    "iso-8601": (str,),
    "rfc-1123": (str,),
    "duration": (str,),
    "date": (str,),
    "time": (str,),
    "unix-time": (int,),
    "base64": (str,),
    "bytearray": (str,),
    "decimal": (int, float),
}


@dataclass
class Field:
    """One JSON property: its type (a primitive name, "object" for any JSON, a nested `Schema`, or an
    array / map of one), whether the service sets it alone, whether it must be sent, and its enum."""

    type: str | Schema
    readonly: bool = False
    required: bool = False
    enum: tuple[str, ...] | None = None
    # "[...]" for an array of `type`, "{...}" for a map of `type`, "" for the value itself.
    container: str = ""
    # The enum's values are compared as written (values a spec gives in prose), not ignoring case.
    exact: bool = False
    # Sent on create or update, never returned by a read (a secret's value): TypeSpec models give it as a
    # visibility without "read"; Swagger-generated ones say so in the property's description.
    writeonly: bool = False


@dataclass
class Schema:
    """A JSON object as a model describes it. Built lazily from an SDK model (models refer to each
    other, sometimes in cycles) or declared by hand (see spec_declared)."""

    name: str
    fields: dict[str, Field] = field(default_factory=dict)
    # Maps whose keys the user chooses (tags) have no fixed fields: `values` types their values.
    values: Field | None = None

    def clean(self, body: Any, *, path: str = "$") -> Any:
        """The body as the provider stores it: unknown and read-only properties dropped, as providers
        ignore them; a wrong JSON type, a value outside an enum or a missing required property refused."""
        if body is None:
            return None
        if not isinstance(body, Mapping):
            raise BodyRefused(f"{path}: expected a JSON object for {self.name}, got {_json_type(body)}", path)
        out: dict[str, Any] = {}
        for key, value in body.items():
            f = self.fields.get(key)
            if f is None:
                f = next((v for k, v in self.fields.items() if k.lower() == key.lower()), None)
            if f is None or f.readonly:
                continue
            out[_canonical_key(self, key)] = _clean_value(f, value, path=f"{path}.{key}")
        # Required properties of every object sent, a PATCH's included (the models validate each object
        # they serialize); a PATCH's top-level model declares none.
        for key, f in self.fields.items():
            if f.required and not f.readonly and out.get(key) is None:
                raise BodyRefused(f"{path}.{key}: the property is required", f"{path}.{key}")
        return out

    def as_read(self, body: Any, *, depth: int = 0) -> Any:
        """`body` as a read returns it: write-only properties left out, through nested objects, arrays
        and maps (a session pool's `secrets[].value`)."""
        if not isinstance(body, Mapping) or depth > 8:
            return body
        out: dict[str, Any] = {}
        for key, value in body.items():
            f = self.fields.get(key) or next((v for k, v in self.fields.items() if k.lower() == key.lower()), None)
            if f is not None and f.writeonly:
                continue
            shown = value
            if f is not None and isinstance(f.type, Schema):
                if f.container == "[...]" and isinstance(value, list):
                    shown = [f.type.as_read(v, depth=depth + 1) for v in value]
                elif f.container == "{...}" and isinstance(value, Mapping):
                    shown = {k: f.type.as_read(v, depth=depth + 1) for k, v in value.items()}
                elif not f.container:
                    shown = f.type.as_read(value, depth=depth + 1)
            out[key] = shown
        return out

    def has_write_only(self, depth: int = 0) -> bool:
        if depth > 8:
            return False
        return any(f.writeonly or (isinstance(f.type, Schema) and f.type.has_write_only(depth + 1)) for f in self.fields.values())

    def read_only_paths(self, prefix: tuple[str, ...] = (), depth: int = 0) -> Iterator[tuple[str, ...]]:
        """JSON paths the service alone sets (through nested objects, not into arrays)."""
        if depth > 6:
            return
        for key, f in self.fields.items():
            if f.readonly:
                yield (*prefix, key)
            elif isinstance(f.type, Schema) and not f.container:
                yield from f.type.read_only_paths((*prefix, key), depth + 1)


def _canonical_key(schema: Schema, key: str) -> str:
    if key in schema.fields:
        return key
    return next((k for k in schema.fields if k.lower() == key.lower()), key)


def _clean_value(f: Field, value: Any, *, path: str) -> Any:
    if value is None:
        return None
    if f.container == "[...]":
        if not isinstance(value, list):
            raise BodyRefused(f"{path}: expected an array, got {_json_type(value)}", path)
        return [_clean_value(Field(f.type, enum=f.enum, exact=f.exact), v, path=f"{path}[{i}]") for i, v in enumerate(value)]
    if f.container == "{...}":
        if not isinstance(value, Mapping):
            raise BodyRefused(f"{path}: expected an object, got {_json_type(value)}", path)
        return {k: _clean_value(Field(f.type, enum=f.enum, exact=f.exact), v, path=f"{path}.{k}") for k, v in value.items()}
    if isinstance(f.type, Schema):
        return f.type.clean(value, path=path)
    if f.type == "object":
        return value
    allowed = PRIMITIVES.get(f.type, (str, int, float, bool, dict, list))
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        raise BodyRefused(f"{path}: expected {f.type}, got {_json_type(value)} {str(value)[:40]!r}", path)
    if f.enum is not None and not _in_enum(value, f):
        raise BodyRefused(f"{path}: {str(value)[:40]!r} is not one of {', '.join(f.enum)}", path)
    return value


def _in_enum(value: Any, f: Field) -> bool:
    """Enums compare without case (services echo them in their own casing), except values a spec lists
    in prose, which are taken literally (Storage's key names are key1 and key2, not Key1)."""
    if not isinstance(value, str) or f.enum is None:
        return False
    return value in f.enum if f.exact else value.lower() in {e.lower() for e in f.enum}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return "null"


class SdkSchemas:
    """Schemas of one package's models, built on demand from `_attribute_map` and `_validation`."""

    def __init__(self, models: ModuleType, overrides: Mapping[tuple[str, str], tuple[str, ...]] | None = None) -> None:
        self.models = models
        self._built: dict[str, Schema] = {}
        # (model, JSON path) -> enum values that a spec documents in prose rather than as an enum.
        self._overrides = dict(overrides or {})

    def get(self, name: str) -> Schema:
        found = self._built.get(name)
        if found is not None:
            return found
        cls = getattr(self.models, name)
        schema = Schema(name)
        self._built[name] = schema  # before the fields: a model may contain itself
        if not hasattr(cls, "_attribute_map") and getattr(cls, "_is_model", False):
            self._fill_from_rest_fields(cls, schema)
            return schema
        enums = _enums_of(cls, self.models)
        validation: Mapping[str, Mapping[str, Any]] = getattr(cls, "_validation", {}) or {}
        hidden = _write_only_in_doc(cls)
        for attr, spec in (getattr(cls, "_attribute_map", {}) or {}).items():
            keys = _split_key(spec["key"])
            rules = validation.get(attr, {})
            leaf = self._field(str(spec["type"]), readonly=bool(rules.get("readonly")), required=bool(rules.get("required")))
            leaf.writeonly = attr in hidden
            override = self._overrides.get((name, ".".join(keys)))
            leaf.enum, leaf.exact = (override, True) if override else (enums.get(attr), False)
            node = schema
            for key in keys[:-1]:  # a flattened property (`properties.x`) lives in a nested object
                holder = node.fields.get(key)
                if holder is None or not isinstance(holder.type, Schema):
                    holder = Field(Schema(f"{node.name}.{key}"))
                    node.fields[key] = holder
                assert isinstance(holder.type, Schema)
                node = holder.type
            node.fields[keys[-1]] = leaf
        return schema

    def _fill_from_rest_fields(self, cls: type, schema: Schema) -> None:
        """A model generated from TypeSpec (`_utils/model_base`, azure-mgmt-appcontainers 5.x): its
        fields are `rest_field`s on the class and its bases, with a visibility list (only "read": the
        service sets it) and a Python annotation that gives the JSON type (`Optional[...]` or a `None`
        in the union: the property may be left out; otherwise it is required)."""
        own = [k for k in cls.__mro__ if "_models" in k.__module__][::-1]  # bases first, as model_base does
        for klass in own:
            annotations = getattr(klass, "__annotations__", {})
            for attr, rf in vars(klass).items():
                if attr.startswith("_") or not hasattr(rf, "_visibility"):
                    continue
                visibility = list(rf._visibility or ())
                text = str(annotations.get(attr, "Any"))
                optional = text.startswith("typing.Optional[") or "NoneType" in text
                leaf = self._annotated_field(text, readonly=visibility == ["read"])
                leaf.required = not optional and visibility != ["read"]
                leaf.writeonly = bool(visibility) and "read" not in visibility
                schema.fields[rf._rest_name_input or attr] = leaf

    def _annotated_field(self, text: str, *, readonly: bool) -> Field:
        inner = text.removeprefix("typing.Optional[").removesuffix("]") if text.startswith("typing.Optional[") else text
        container = ""
        for opener, kind in (("list[", "[...]"), ("typing.List[", "[...]"), ("dict[str, ", "{...}"), ("typing.Dict[str, ", "{...}")):
            if inner.startswith(opener):
                container, inner = kind, inner[len(opener) : -1]
                break
        names = re.findall(r"_models\.(\w+)", inner)
        for found in names:
            target = getattr(self.models, found, None)
            if isinstance(target, type) and issubclass(target, Enum):
                return Field("str", readonly=readonly, enum=tuple(str(m.value) for m in target), container=container)
            if isinstance(target, type):
                return Field(self.get(found), readonly=readonly, container=container)
        primitive = next((kind for word, kind in _ANNOTATED if re.search(rf"\b{word}\b", inner)), "object")
        return Field(primitive, readonly=readonly, container=container)

    def _field(self, type_text: str, *, readonly: bool, required: bool) -> Field:
        container = ""
        if type_text.startswith("[") and type_text.endswith("]"):
            container, type_text = "[...]", type_text[1:-1]
        elif type_text.startswith("{") and type_text.endswith("}"):
            container, type_text = "{...}", type_text[1:-1]
        resolved: str | Schema = type_text
        if type_text not in PRIMITIVES and type_text != "object" and hasattr(self.models, type_text):
            resolved = self.get(type_text)
        return Field(resolved, readonly=readonly, required=required, container=container)


# Python annotations of TypeSpec models -> the JSON types above, most specific first.
_ANNOTATED = (("datetime", "iso-8601"), ("bytes", "base64"), ("bool", "bool"), ("int", "int"), ("float", "float"), ("str", "str"))


# How a Swagger-generated model's description marks a property that a read never returns (x-ms-secret,
# or prose such as API Management's "This property will not be filled on 'GET' operations!").
_WRITE_ONLY_DOC = re.compile(r"will not be filled on 'GET' operations|\(write only\)|- write only\b|x-ms-secret", re.IGNORECASE)


def _write_only_in_doc(cls: type) -> frozenset[str]:
    """The attributes whose `:ivar:` description says a read never returns them."""
    doc = cls.__doc__ or ""
    found = set()
    for m in re.finditer(r":ivar (\w+):(.*?)(?=\n\s*:(?:ivar|vartype)|\Z)", doc, re.S):
        if _WRITE_ONLY_DOC.search(" ".join(m.group(2).split())):
            found.add(m.group(1))
    return frozenset(found)


def _split_key(key: str) -> list[str]:
    """`properties.publicNetworkAccess` -> two levels; `a\\.b` is one key with a dot."""
    return [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", key)]


def _enums_of(cls: type, models: ModuleType) -> dict[str, tuple[str, ...]]:
    """attribute -> enum values, from the constructor's annotations (`Union[str, "_models.X"]`)."""
    out: dict[str, tuple[str, ...]] = {}
    try:
        params = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    except (TypeError, ValueError):
        return out
    for name, param in params.items():
        values = _enum_in(param.annotation, models)
        if values is not None:
            out[name] = values
    return out


def _enum_in(annotation: Any, models: ModuleType) -> tuple[str, ...] | None:
    """The values of the models' enum an annotation names (as `"_models.X"` or as the class)."""
    for candidate in re.findall(r"\b([A-Z]\w*)\b", str(annotation)):
        enum = getattr(models, candidate, None)
        if isinstance(enum, type) and issubclass(enum, Enum):
            return tuple(str(m.value) for m in enum)
    return None


# --- operations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One REST operation as the spec declares it."""

    id: str  # e.g. Accounts.update
    method: str
    template: str
    api_version: str
    statuses: tuple[int, ...]
    body: Schema | None = None
    lro: bool = False
    final_state_via: str | None = None
    if_match: bool = False
    # Path parameters whose values are an enum (AI Search's keyKind: primary | secondary).
    param_enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Path parameters that take a whole scope or id, slashes included.
    greedy: frozenset[str] = frozenset()
    # A PATCH the SDK documents as JSON merge patch (RFC 7396): a null sent removes the property.
    merge_patch: bool = False
    source: str = ""  # the package and module it came from, or "declared: <why>"

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.template, self.greedy)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.template))

    @property
    def resource_type(self) -> str:
        """The ARM type the template addresses (`Microsoft.CognitiveServices/accounts/deployments`),
        or the action's parent type with the action (`…/accounts/regenerateKey`)."""
        tail = self.template.rsplit("/providers/", 1)[-1]
        parts = [p for p in tail.split("/") if p]
        namespace, rest = parts[0], parts[1:]
        names = [p for i, p in enumerate(rest) if i % 2 == 0 and not p.startswith("{")]
        return "/".join([namespace, *names])

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        m = self.pattern.fullmatch(path)
        return None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}


@cache
def _compile(template: str, greedy: frozenset[str]) -> re.Pattern[str]:
    out = ""
    for literal, name in re.findall(r"([^{]*)(?:{(\w+)})?", template):
        out += re.escape(literal)
        if name:
            out += f"(?P<{name}>.+?)" if name in greedy else f"(?P<{name}>[^/]+)"
    # A leading scope (`/{scope}/providers/...`) may be the tenant itself: `/providers/...`, which is
    # where the by-id operations (`/{roleId}`) address tenant-level definitions.
    lead = re.match(r"/\(\?P<(\w+)>\.\+\?\)/", out)
    if lead is not None:
        out = f"(?:/(?P<{lead.group(1)}>.+?))?/" + out[lead.end() :]
    return re.compile(out, re.IGNORECASE)


@dataclass(frozen=True)
class Package:
    """An installed SDK package to read operations from: its operations module and models module."""

    operations: str
    models: str
    # Enums a spec gives in prose only: (model, JSON path) -> values.
    overrides: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # Only the operation groups the simulator serves (a package holds dozens).
    groups: tuple[str, ...] = ()


_BUILD_CALL = re.compile(r"\b(build_\w+_request)\(")
_STATUSES = re.compile(r"status_code not in \[([\d,\s]+)\]")
_BODY = re.compile(r"self\._serialize\.body\(\s*\w+,\s*[\"'](\w+)[\"']")
_INITIAL = re.compile(r"self\.(_\w+_initial)\(")
_FINAL_STATE = re.compile(r"[\"']final-state-via[\"']:\s*[\"']([\w-]+)[\"']")
_TEMPLATE = re.compile(r"[\"']template_url[\"'],\s*[\"']([^\"']+)[\"']")
# TypeSpec-generated packages build the URL in the function: `_url = "/subscriptions/{subscriptionId}/..."`.
_URL = re.compile(r"\b_url\s*=\s*[\"']([^\"']+)[\"']")
_METHOD = re.compile(r"HttpRequest\(\s*method=[\"'](\w+)[\"']")
_API_VERSION = re.compile(r"_params\.pop\(\s*[\"']api-version[\"'],\s*[\"']([\w-]+)[\"']")
_GREEDY = re.compile(r"[\"'](\w+)[\"']:\s*_SERIALIZER\.url\([^)]*skip_quote=True")


def read_package(package: Package) -> list[Operation]:
    """Every operation of the package's groups: from each group class's public methods, the build
    function each calls (template, method, api-version), the status codes it accepts and its body."""
    ops_module = importlib.import_module(package.operations)
    schemas = SdkSchemas(importlib.import_module(package.models), package.overrides)
    found: list[Operation] = []
    for group in package.groups:
        cls = getattr(ops_module, group)
        module = inspect.getmodule(cls)
        assert module is not None
        for name, fn in vars(cls).items():
            if name.startswith("_") or not callable(fn):
                continue
            found.extend(_operation(package, module, cls=cls, group=group, name=name, fn=fn, schemas=schemas))
    return found


def _operation(
    package: Package, module: ModuleType, *, cls: type, group: str, name: str, fn: Any, schemas: SdkSchemas
) -> Iterable[Operation]:
    source = inspect.getsource(fn)
    body_source = source
    initial = _INITIAL.search(source)
    if initial is not None:
        body_source = inspect.getsource(getattr(cls, initial.group(1)))
    build = _BUILD_CALL.search(body_source)
    if build is None:
        return []
    builder = getattr(module, build.group(1))
    build_source = inspect.getsource(builder)
    template = _TEMPLATE.search(build_source) or _URL.search(build_source)
    method = _METHOD.search(build_source)
    version = _API_VERSION.search(build_source)
    statuses = _STATUSES.search(body_source)
    if not (template and method and version and statuses):
        return []
    body = _BODY.search(body_source)
    body_model = body.group(1) if body else _body_model(body_source, schemas.models)
    final_state = _FINAL_STATE.search(source)
    param_enums: dict[str, tuple[str, ...]] = {}
    signature = inspect.signature(builder)
    for pname, param in signature.parameters.items():
        values = _enum_in(param.annotation, schemas.models)
        if values is not None:
            param_enums[_camel(pname)] = values
    group_name = group.removesuffix("Operations")
    return [
        Operation(
            id=f"{group_name}.{name}",
            method=method.group(1).upper(),
            template=template.group(1),
            api_version=version.group(1),
            statuses=tuple(int(s) for s in statuses.group(1).replace(" ", "").split(",") if s),
            body=schemas.get(body_model) if body_model else None,
            lro=name.startswith("begin_"),
            final_state_via=final_state.group(1) if final_state else None,
            if_match="if_match" in signature.parameters,
            param_enums=param_enums,
            greedy=frozenset(_GREEDY.findall(build_source)),
            merge_patch=method.group(1).upper() == "PATCH" and "json merge patch" in source.lower(),
            source=f"{package.operations}.{group}.{name}",
        )
    ]


def _body_model(source: str, models: ModuleType) -> str | None:
    """The body model of a TypeSpec-generated operation, which serializes its body with `json.dumps`
    rather than naming the model: the model its body parameter is annotated with
    (`session_pool_envelope: Union[_models.SessionPool, _types.SessionPool, IO[bytes]]`)."""
    if "json.dumps(" not in source:
        return None
    signature = source.split(")", 1)[0] if source.lstrip().startswith("def ") else source.split("def ", 1)[-1].split(")", 1)[0]
    for found in re.findall(r"_models\.(\w+)", signature):
        if getattr(getattr(models, found, None), "_is_model", False):
            return str(found)
    return None


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


# The packages and the operation groups the simulator serves. Each package is the one whose default
# api-version is the version DriftGuard pins (requirements pin the package versions that carry it).
PACKAGES: tuple[Package, ...] = (
    Package(
        "azure.mgmt.cognitiveservices.operations",
        "azure.mgmt.cognitiveservices.models",
        groups=(
            "AccountsOperations",
            "DeploymentsOperations",
            "RaiPoliciesOperations",
            "DefenderForAISettingsOperations",
            "PrivateEndpointConnectionsOperations",
            "RaiContentFiltersOperations",
        ),
    ),
    Package(
        "azure.mgmt.search.operations",
        "azure.mgmt.search.models",
        groups=("ServicesOperations", "AdminKeysOperations", "QueryKeysOperations", "PrivateEndpointConnectionsOperations"),
    ),
    Package(
        "azure.mgmt.storage.operations",
        "azure.mgmt.storage.models",
        # The spec's keyName is a string whose values it lists in prose: key1, key2, kerb1, kerb2.
        overrides={("StorageAccountRegenerateKeyParameters", "keyName"): ("key1", "key2", "kerb1", "kerb2")},
        groups=("StorageAccountsOperations", "PrivateEndpointConnectionsOperations"),
    ),
    Package(
        "azure.mgmt.authorization.v2022_04_01.operations",
        "azure.mgmt.authorization.v2022_04_01.models",
        groups=("RoleAssignmentsOperations", "RoleDefinitionsOperations"),
    ),
    Package(
        "azure.mgmt.authorization.v2020_10_01.operations",
        "azure.mgmt.authorization.v2020_10_01.models",
        groups=("RoleAssignmentScheduleInstancesOperations",),
    ),
    Package("azure.mgmt.security.v2024_01_01.operations", "azure.mgmt.security.v2024_01_01.models", groups=("PricingsOperations",)),
    # Generated from TypeSpec (model_base models, operations in one module): read by the same rules.
    Package("azure.mgmt.appcontainers.operations", "azure.mgmt.appcontainers.models", groups=("ContainerAppsSessionPoolsOperations",)),
    # AI gateways: the API Management service, its backends (where a backend keeps its credentials) and
    # its named values (where a key would be kept for a backend's header).
    Package(
        "azure.mgmt.apimanagement.operations",
        "azure.mgmt.apimanagement.models",
        groups=("ApiManagementServiceOperations", "BackendOperations", "NamedValueOperations"),
    ),
)


class Catalog:
    """The operations Azure has, for the providers the simulator serves."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        # By-id templates (`/{roleId}`) would match any path: ARM routes those by the id's own shape,
        # which the scoped templates already cover.
        self.operations = tuple(o for o in operations if not re.fullmatch(r"/{\w+}", o.template))
        self._by_method: dict[str, list[Operation]] = {}
        self._schemas: dict[str, Schema | None] = {}
        for op in self.operations:
            self._by_method.setdefault(op.method, []).append(op)

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation for a request. Among several templates that match (a scope template and a
        resource-group one), the one with the most literal text is the specific one."""
        best: tuple[Operation, dict[str, str]] | None = None
        for op in self._by_method.get(method.upper(), ()):
            params = op.match(method.upper(), path)
            if params is not None and (best is None or _literal_length(op) > _literal_length(best[0])):
                best = (op, params)
        return best

    def methods_for(self, path: str) -> list[str]:
        return sorted({op.method for op in self.operations if op.pattern.fullmatch(path)})

    def resource_schema(self, resource_type: str) -> Schema | None:
        """The model a resource type is written with (its PUT's body, else its PATCH's): what a read of
        it may show, write-only properties aside."""
        wanted = resource_type.lower()
        if wanted not in self._schemas:
            self._schemas[wanted] = next(
                (
                    o.body
                    for m in ("PUT", "PATCH")
                    for o in self._by_method.get(m, ())
                    if o.body is not None and o.resource_type.lower() == wanted
                ),
                None,
            )
        return self._schemas[wanted]

    def find(self, operation_id: str) -> Operation:
        return next(o for o in self.operations if o.id == operation_id)

    def namespaces(self) -> dict[str, set[str]]:
        """namespace (lower case) -> api-versions its operations carry."""
        out: dict[str, set[str]] = {}
        for op in self.operations:
            out.setdefault(op.resource_type.split("/", 1)[0].lower(), set()).add(op.api_version)
        return out


def _literal_length(op: Operation) -> int:
    return len(re.sub(r"{\w+}", "", op.template))


@cache
def catalog() -> Catalog:
    from simulator import spec_declared

    operations: list[Operation] = []
    for package in PACKAGES:
        operations.extend(read_package(package))
    operations.extend(spec_declared.OPERATIONS)
    return Catalog(operations)


# API Management's named value: the model's description says its value is never filled on a GET, but a
# plain (not secret) named value does show its value (Microsoft's NamedValue_Get examples; the portal and
# Terraform read it); a secret one shows it only through `listValue`.
_NAMED_VALUES = "microsoft.apimanagement/service/namedvalues"


def as_read(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A stored resource as a read returns it (GET, list, Resource Graph, an event, a write's answer):
    what its model marks write-only is left out (a session pool's `secrets[].value`, a container app's
    `secrets[].value`, an API Management authorization server's `clientSecret`), and a secret named
    value's value."""
    out = dict(resource)
    rtype = str(resource.get("type", "")).lower()
    schema = catalog().resource_schema(rtype)
    if schema is not None and schema.has_write_only():
        out = schema.as_read(resource)
    props = resource.get("properties")
    if rtype == _NAMED_VALUES and isinstance(props, Mapping):
        shown = {k: v for k, v in (out.get("properties") or {}).items() if k != "value"}
        if props.get("secret") is not True and "value" in props:
            shown["value"] = props["value"]
        out["properties"] = shown
    return out
