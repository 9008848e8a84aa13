"""Every resource body in infra/ uses property names and literal values Bicep's generated types accept
(../shared/corpus/bicep-types; skipped where the corpus is absent), and the checker can fail."""

from __future__ import annotations

import copy

from tests.conftest import corpus_path
from tests.infra import bicep_types
from tests.infra.test_infra import BICEP_FILES, INFRA, parse

STORAGE = "Microsoft.Storage/storageAccounts@2024-01-01"


def load() -> bicep_types.Types:
    return bicep_types.load_types(corpus_path("bicep-types"))


def test_every_resource_body_matches_bicep_types() -> None:
    types = load()
    errors: list[str] = []
    checked: set[str] = set()
    not_in_corpus: set[str] = set()
    for path in BICEP_FILES:
        parsed = parse(path)
        names = bicep_types.identifiers(parsed)
        for name, type_name, body in bicep_types.resources(parsed):
            if type_name not in types:
                not_in_corpus.add(type_name)
                continue
            checked.add(type_name)
            where = f"{path.relative_to(INFRA)} {name}"
            errors.extend(f"{where}: {e}" for e in bicep_types.check_resource(types, type_name, body, names))
    note = f"not in the corpus, so not checked: {sorted(not_in_corpus) or 'none'}"
    assert errors == [], f"{errors}\n{note}"
    assert len(checked) >= 20, f"only {sorted(checked)} checked; {note}"


def account() -> tuple[dict[str, object], set[str]]:
    parsed = parse(INFRA / "modules" / "storage.bicep")
    return bicep_types.body_of(parsed["resources"]["account"]), bicep_types.identifiers(parsed)


def test_the_storage_account_as_deployed_passes() -> None:
    body, names = account()
    assert bicep_types.check_resource(load(), STORAGE, body, names) == []


def test_a_wrong_body_is_reported() -> None:
    types = load()
    body, names = account()
    wrong = copy.deepcopy(body)
    properties = wrong["properties"]
    assert isinstance(properties, dict)
    properties["minimumTlsVersion"] = "TLS9"  # an open enum: Bicep lets it through, ARM does not
    properties["colour"] = "red"  # no such property
    properties["primaryEndpoints"] = {}  # read-only
    properties["allowSharedKeyAccess"] = "false"  # a string where a bool belongs
    properties["networkAcls"] = {"defaultAction": "Block", "bypass": "None"}  # a closed enum
    errors = "\n".join(bicep_types.check_resource(types, STORAGE, wrong, names))
    assert "minimumTlsVersion: 'TLS9' is not one of" in errors
    assert "properties.colour: not a property" in errors
    assert "properties.primaryEndpoints: read-only" in errors
    assert "allowSharedKeyAccess: 'false' is not a bool" in errors
    assert "networkAcls.defaultAction: 'Block' is not one of ['Allow', 'Deny']" in errors
    assert len(errors.splitlines()) == 5, errors


def test_expressions_are_not_checked() -> None:
    body, names = account()
    properties = body["properties"]
    assert isinstance(properties, dict)
    properties["minimumTlsVersion"] = {"function": {"type": "concat", "parameters": {}}}
    properties["accessTier"] = "sku"  # a parameter's name: pycep's reference
    properties["publicNetworkAccess"] = "${access}"
    assert bicep_types.check_resource(load(), STORAGE, body, names) == []
