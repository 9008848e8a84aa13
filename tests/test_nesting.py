"""The one nesting limit: measured without recursion, at exactly MAX_DEPTH levels."""

from __future__ import annotations

import json
import tomllib

import pytest

from driftguard.nesting import MAX_DEPTH, TooDeep, check_depth, parse
from tests.deep import TOO_DEEP, nested_text, nested_value, refusal_names_the_limit


def test_the_limit_is_exact() -> None:
    at_limit = nested_value(MAX_DEPTH)
    assert check_depth(at_limit, "x") is at_limit
    with pytest.raises(TooDeep) as refused:
        check_depth(nested_value(MAX_DEPTH + 1), "the thing")
    assert str(refused.value) == f"the thing is nested deeper than {MAX_DEPTH} levels"
    # Scalars and empty containers count as they should: `[]` is one level, `1` none.
    assert check_depth(1, "x") == 1
    check_depth(nested_value(MAX_DEPTH - 1, leaf=[]), "x")
    with pytest.raises(TooDeep):
        check_depth(nested_value(MAX_DEPTH, leaf={}), "x")


def test_the_deepest_branch_counts_wherever_it_is() -> None:
    wide = {"a": [1, {"b": 2}], "z": [[], {}], "deep": nested_value(MAX_DEPTH)}
    with pytest.raises(TooDeep):
        check_depth(wide, "x")
    wide["deep"] = nested_value(MAX_DEPTH - 1)
    check_depth(wide, "x")


def test_an_envelope_adds_its_levels() -> None:
    batch = [nested_value(MAX_DEPTH)]
    check_depth(batch, "x", envelope=1)
    with pytest.raises(TooDeep):
        check_depth(batch, "x")


@pytest.mark.parametrize("levels", TOO_DEEP)
def test_parse_refuses_what_the_parsers_choke_on(levels: int) -> None:
    with pytest.raises(TooDeep) as refused:
        parse(json.loads, nested_text(levels), "a.json")
    refusal_names_the_limit(str(refused.value), "a.json")
    # TOML: inline arrays and tables recurse in tomllib.
    for text in ("a = " + "[" * levels + "]" * levels, "a = " + "{b = " * levels + "1" + "}" * levels):
        with pytest.raises(TooDeep):
            parse(tomllib.loads, text, "p.toml")


def test_a_dotted_toml_key_nests_too() -> None:
    # tomllib builds these tables without recursing (and in quadratic time: no 100,000 parts here).
    with pytest.raises(TooDeep):
        parse(tomllib.loads, "[" + ".".join(["t"] * MAX_DEPTH) + "]\nk = 1", "p.toml")


def test_parse_passes_what_is_within_the_limit() -> None:
    assert parse(json.loads, nested_text(MAX_DEPTH), "a.json") == nested_value(MAX_DEPTH)
    assert parse(tomllib.loads, "[" + ".".join(["t"] * (MAX_DEPTH - 1)) + "]\nk = 1", "p.toml")
