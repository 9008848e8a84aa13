"""The project's docs stay true: generated pages equal what the code renders now, every link in the
README and docs/ resolves inside the project, and the policy examples in the docs are valid."""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from driftguard import rules
from driftguard.cli import main
from driftguard.policy import policy_schema
from driftguard.report import rule_reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_rule_reference_is_current() -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    assert page == rule_reference.render(), "regenerate: python -m driftguard.report.rule_reference > docs/rules.md"
    for meta in rules.metas():
        assert f"## `{meta.id}`" in page
        assert meta.title in page


def test_the_policy_schema_is_current() -> None:
    on_disk = json.loads((ROOT / "docs" / "policy.schema.json").read_text())
    assert on_disk == policy_schema(), "regenerate: driftguard policy schema > docs/policy.schema.json"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_links_resolve_inside_the_project(doc: Path) -> None:
    for target in LINK.findall(doc.read_text()):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT), f"{doc.name} links outside the project: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_the_rule_reference_anchors_exist() -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    headings = {m.group(1) for m in re.finditer(r"^## `([a-z_]+)`$", page, re.M)}
    anchors = set(re.findall(r"\]\(#([a-z_]+)\)", page))
    assert anchors
    assert anchors <= headings


def blocks(doc: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", doc.read_text(), re.S)


def test_the_policy_examples_in_the_docs_are_valid(tmp_path: Path) -> None:
    doc = ROOT / "docs" / "policy.md"
    examples = [("json", b) for b in blocks(doc, "json")] + [("toml", b) for b in blocks(doc, "toml")]
    assert len(examples) >= 2
    schema = policy_schema()
    for i, (lang, text) in enumerate(examples):
        path = tmp_path / f"example{i}.{lang}"
        path.write_text(text)
        code, out, err = cli("policy", "validate", str(path))
        assert (code, err) == (0, ""), err
        assert "valid policy file" in out
        data = json.loads(text) if lang == "json" else json.loads(json.dumps(tomllib.loads(text), default=str))
        jsonschema.validate(data, schema)


def test_the_schema_refuses_what_the_loader_refuses(tmp_path: Path) -> None:
    schema = policy_schema()
    jsonschema.validate(json.loads((ROOT / "examples" / "policy.json").read_text()), schema)
    for bad in ({"limits": {"sweep_max_pct": 5}}, {"limits": {"sweep_max_percent": 150}}, {"modes": {"x": "sometimes"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_validate_names_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    typo = tmp_path / "typo.json"
    typo.write_text('{"limits": {"sweep_max_pct": 5}}')
    code, out, err = cli("policy", "validate", str(typo))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "limits.sweep_max_pct" in err
    unknown_rule = tmp_path / "rule.toml"
    unknown_rule.write_text('[modes]\nno_such_rule = "auto"\n')
    code, _, err = cli("policy", "validate", str(unknown_rule))
    assert code == 2
    assert "no_such_rule" in err


def test_an_exemption_that_covers_no_rule_is_refused_in_one_line(tmp_path: Path) -> None:
    exemption = {"resource": "*", "reason": "r", "approver": "a@contoso.com", "expires_on": "2099-12-31"}
    nothing = tmp_path / "nothing.json"
    nothing.write_text(json.dumps({"exemptions": [{**exemption, "rules": ["nonexist_*"]}]}))
    code, out, err = cli("policy", "validate", str(nothing))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "exemptions.0.rules: 'nonexist_*' matches no rule" in err
    # Loading refuses it too: every command reads the policy file as validate does.
    assert cli("rules", "--format", "json")[0] == 0
    code, _, err = cli("scan", "--simulated", "--policy", str(nothing), "--format", "json")
    assert code == 2
    assert "'nonexist_*' matches no rule" in err
    # A pattern that names rules is valid, and covers them as `--rule` would select them.
    some = tmp_path / "some.json"
    some.write_text(json.dumps({"exemptions": [{**exemption, "rules": ["storage_*"]}]}))
    assert cli("policy", "validate", str(some))[0] == 0
    from driftguard.policy import load_policy

    (covering,) = load_policy(some).exemptions
    assert covering.covers("storage_account_shared_key_disabled", "/subscriptions/x")
    assert not covering.covers("cognitiveservices_account_local_auth_disabled", "/subscriptions/x")


def test_the_schema_lists_the_rule_ids_a_policy_may_name() -> None:
    schema = policy_schema()
    known = next(m.id for m in rules.metas())
    jsonschema.validate({"modes": {known: "report"}, "overrides": [{"rule": known, "scope": "/subscriptions/x", "mode": "off"}]}, schema)
    for bad in (
        {"modes": {"no_such_rule": "report"}},
        {"overrides": [{"rule": "no_such_rule", "scope": "/subscriptions/x", "mode": "off"}]},
        {"approvals": {"critical_rules": ["no_such_rule"]}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_schema_prints_the_schema() -> None:
    code, out, _ = cli("policy", "schema")
    assert code == 0
    assert json.loads(out) == policy_schema()
