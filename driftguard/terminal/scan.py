"""`driftguard scan` and `driftguard inventory`: an estate judged by the rules, as a table, JSON, SARIF,
HTML or CSV, with `--fail-on` as the CI gate.

The gate counts only the findings selected (`--severity`, `--rule`) and not exempted by the policy
file. An estate with nothing to judge is a warning, and fails the gate: an identity without Reader
sees an empty estate, which must not pass as a clean one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from driftguard import RULES_URL, rules
from driftguard.assets import AssetTap, to_csv
from driftguard.model import JSON, Finding
from driftguard.pipeline import Evaluator, ScanSummary
from driftguard.policy import Policy, Settings
from driftguard.report import html, json_report, sarif, table
from driftguard.terminal import output, sources, views
from driftguard.terminal.context import Context, UsageError
from driftguard.terminal.layout import console
from driftguard.terminal.select import Gate

EXIT_CLEAN, EXIT_FINDINGS = 0, 1
SCAN_FORMATS = ("table", "json", "sarif", "html")
INVENTORY_FORMATS = ("table", "json", "csv")


def _summary(summary: ScanSummary, gate: Gate) -> JSON:
    data = summary.to_json()
    # The summary's counts are the whole scan's; `shown` is what --severity and --rule let through.
    data["shown"] = gate.shown
    data["exempt"] = len(gate.exempt)
    return data


def help_uri_base(text: str) -> str:
    """argparse's type for `--help-uri-base`: an http(s) address without a fragment (the rule id is one)."""
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) address without a #fragment")
    return text.strip().rstrip("#")


def run_scan(args: argparse.Namespace, ctx: Context, settings: Settings, policy: Policy) -> int:
    fmt = output.choose_format(args.format, args.output, SCAN_FORMATS, command="scan")
    if args.help_uri_base is not None and fmt != "sarif":
        raise UsageError("--help-uri-base only means something for SARIF output")
    now = datetime.now(UTC)
    gate = Gate.of(args, policy, now.date(), (m.id for m in rules.metas()), ctx)
    evaluator = Evaluator(policy, now=now)
    files = 1
    # A stream to a terminal waits for the progress line to go: both would share the screen.
    stream_json = fmt == "json" and not (args.output in (None, "-") and ctx.out.isatty())
    with output.destination(args.output, ctx.out) as sink, sources.inventory(args, ctx, settings) as inventory:
        tap = AssetTap(inventory, policy.data, policy.gateways) if fmt == "html" else None
        with ctx.steps.step(f"reading and judging the estate ({inventory.source.value})", unit="resources") as tick:
            findings, summary = evaluator.run(tap or inventory, progress=tick)
            selected = gate.filter(findings)
            if stream_json:
                json_report.write(selected, lambda: _summary(summary, gate), sink, exemption_of=gate.exemption_of)
                collected: list[Finding] = []
            else:
                collected = list(selected)
        data = _summary(summary, gate)
        with output.writing(ctx, args.output, fmt) if not stream_json else contextlib.nullcontext():
            if fmt == "json" and not stream_json:
                json_report.write(collected, lambda: data, sink, exemption_of=gate.exemption_of)
            elif fmt == "sarif":
                scope = sources.scope(args, settings).subscriptions if sources.is_live(args) else ()
                files = _write_sarif(args, sink, collected, gate, scope)
            elif fmt == "html":
                assets = tap.finish(collected) if tap is not None else []
                sink.write(html.render(collected, data, generated=now, assets=assets, exemption_of=gate.exemption_of))
            elif fmt == "table":
                table.render(collected, data, console(sink), exemption_of=gate.exemption_of, quiet=ctx.quiet)
    beside = (
        f" (and {files - 1} more SARIF file(s) beside it: {Path(args.output).stem}.2{Path(args.output).suffix}, ...)"
        if fmt == "sarif" and files > 1
        else ""
    )
    output.wrote(ctx, args.output, fmt, _counts(data) + beside)
    return _verdict(args, ctx, summary, gate)


def _counts(data: JSON) -> str:
    """The scan's summary in one line: what was read and judged, the findings by severity, and how
    many of them --severity/--rule showed and the policy exempted."""
    by_severity = ", ".join(f"{k} {v}" for k, v in data["by_severity"].items() if v) or "none"
    text = f"{data['resources']} resource(s) read, {data['evaluated']} evaluated; {data['findings']} finding(s): {by_severity}"
    if data["shown"] != data["findings"]:
        text += f"; {data['shown']} selected (--severity, --rule)"
    if data["exempt"]:
        text += f"; {data['exempt']} exempt"
    return text


def _write_sarif(args: argparse.Namespace, sink: IO[str], findings: list[Finding], gate: Gate, scope: tuple[str, ...]) -> int:
    """Writes the SARIF files (the first to `sink`); returns how many they are."""
    try:
        texts = sarif.files(
            findings, rules.metas(), exemption_of=gate.exemption_of, scope=scope, help_uri_base=args.help_uri_base or RULES_URL
        )
    except sarif.RunTooLarge as e:
        raise UsageError(str(e)) from None
    sink.write(texts[0])
    if len(texts) > 1:
        # Code scanning takes 20 runs and 10 MB gzip-compressed per file: the rest go beside the output,
        # each uploaded on its own.
        if args.output in (None, "-"):
            raise UsageError(f"the SARIF runs need {len(texts)} files (code scanning's limits per file): pass --output FILE.sarif")
        target = Path(args.output)
        for i, text in enumerate(texts[1:], start=2):
            with output.destination(str(target.with_name(f"{target.stem}.{i}{target.suffix}")), sink) as extra:
                extra.write(text)
    return len(texts)


def _verdict(args: argparse.Namespace, ctx: Context, summary: ScanSummary, gate: Gate) -> int:
    nothing = None
    if summary.evaluated == 0:
        nothing = f"nothing to judge: {summary.resources} resource(s) read, none of a type the rules cover; check the scope and that the identity can read it (Reader)"
    return gate.verdict(ctx, args.fail_on, nothing=nothing)


def run_inventory(args: argparse.Namespace, ctx: Context, settings: Settings, policy: Policy) -> int:
    fmt = output.choose_format(args.format, args.output, INVENTORY_FORMATS, command="inventory")
    with output.destination(args.output, ctx.out) as sink, sources.inventory(args, ctx, settings) as inventory:
        tap = AssetTap(inventory, policy.data, policy.gateways)
        with ctx.steps.step(f"reading the AI assets ({inventory.source.value})", unit="resources") as tick:
            findings, _ = Evaluator(policy, now=datetime.now(UTC)).run(tap, progress=tick)
            assets = tap.finish(findings)
        with output.writing(ctx, args.output, fmt):
            if fmt == "json":
                sink.write(json.dumps([a.to_json() for a in assets], indent=2) + "\n")
            elif fmt == "csv":
                sink.write(to_csv(assets))
            elif assets:  # none: the warning below, not an empty table
                views.assets(assets, console(sink))
    output.wrote(ctx, args.output, fmt, f"{len(assets)} AI asset(s)")
    if not assets:
        ctx.warn("no AI assets found: check the scope and that the identity can read it (Reader)")
    return EXIT_CLEAN
