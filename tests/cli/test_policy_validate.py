"""`driftguard policy validate FILE`: every error of the file, one line each, exit 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

from driftguard.cli import main


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_every_error_is_printed_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"limits": {"sweep_max_pct": 5, "typo": 1}, "approvals": {"sla_hours": "soon"}, "bogus": True}))
    code, out, err = cli("policy", "validate", str(path))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 4, err
    assert all(line.startswith(f"driftguard: error: policy file {path}: ") for line in lines), err
    assert "more)" not in err
    assert f"driftguard: error: policy file {path}: bogus: unknown key" in lines
    assert f"driftguard: error: policy file {path}: limits.typo: unknown key" in lines
    assert any(line.startswith(f"driftguard: error: policy file {path}: approvals.sla_hours: ") for line in lines), err


def test_one_error_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"bogus": True}))
    assert cli("policy", "validate", str(path)) == (2, "", f"driftguard: error: policy file {path}: bogus: unknown key\n")
