"""`driftguard probe`: today's canary probes of the deployments the policy file opts in, on the simulated
estate (`--simulated`: the `openai` client against the simulator's data plane, nothing to configure) or
live (the signed-in identity needs Cognitive Services OpenAI User on the opted-in accounts).

A filter that lets a known attack through is a high finding, shown and written; `--severity` and `--rule`
select the findings, `--output` writes the answer to a file only on success (the scan's gate and output,
`driftguard.terminal.select` and `.output`); the exit code is 1 only with `--fail-on`: a selected finding
at or above it that no exemption covers, or no probe sent at all. Verdicts only: no prompt and no answer is printed or written.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rich.markup import escape

from driftguard import compose, rules
from driftguard.model import Finding
from driftguard.policy import Policy, Settings
from driftguard.probing import ProbeRun
from driftguard.terminal import output, select, sources
from driftguard.terminal.context import Context
from driftguard.terminal.layout import console, fit, where

EXIT_CLEAN = 0
PROBE_FORMATS = ("table", "json")


def add_parser(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    cmd = sub.add_parser(
        "probe",
        help="canary probes: send known jailbreak and indirect prompt-injection prompts to the opted-in deployments",
        parents=[common],
    )
    who = cmd.add_mutually_exclusive_group()
    who.add_argument(
        "--subscription", action="append", metavar="ID", help="subscription (repeatable; live; default: DRIFTGUARD_SUBSCRIPTIONS)"
    )
    who.add_argument("--management-group", metavar="NAME", help="every subscription under this management group (live)")
    who.add_argument("--simulated", action="store_true", help="the simulated estate and its data plane (no Azure needed)")
    cmd.add_argument("--policy", type=Path, metavar="FILE", help="policy file whose `probes` section opts deployments in")
    cmd.add_argument("--format", choices=PROBE_FORMATS, help="output format (default: the --output extension, else table)")
    cmd.add_argument("--output", metavar="FILE", help="write to FILE (only when the command succeeds; the format follows its extension)")
    select.add_selection(cmd)
    select.add_fail_on(cmd, "no probe got a verdict")


def run(args: argparse.Namespace, ctx: Context, settings: Settings, policy: Policy) -> int:
    fmt = output.choose_format(args.format, args.output, PROBE_FORMATS, command="probe")
    gate = select.Gate.of(args, policy, datetime.now(UTC).date(), (m.id for m in rules.metas()), ctx)
    with output.destination(args.output, ctx.out) as sink:
        if args.simulated:
            with tempfile.TemporaryDirectory(prefix="driftguard-probe-") as tmp, ctx.steps.step("probing the simulated deployments"):
                result = compose.SimulatedWorld(Path(tmp), policy).probe(policy)
        else:
            scope = sources.scope(args, settings)
            sources.sign_in(ctx, settings)
            with ctx.steps.step(f"probing the opted-in deployments in {scope.describe()}"):
                result = compose.live_probe(settings, policy, scope, store=compose.live_state_store(settings))
        findings = list(gate.filter(result.findings))
        exempt = [{"resource_id": f.resource_id, "rule": f.rule, **e} for f in findings if (e := gate.exemption_of(f)) is not None]
        with output.writing(ctx, args.output, fmt):
            if fmt == "json":
                payload = {
                    "summary": {**result.summary(), "shown": gate.shown, "exempt": len(exempt)},
                    "verdicts": [v.to_json() for v in result.verdicts],
                    "cases": result.cases,
                    "exempt": exempt,
                }
                sink.write(json.dumps(payload, indent=2) + "\n")
            else:
                _table(result, findings, sink, gate, quiet=ctx.quiet)
    output.wrote(ctx, args.output, fmt, f"{len(result.verdicts)} probe verdict(s), {len(findings)} finding(s), {len(exempt)} exempt")
    nothing = None
    if not any(v.outcome.value != "inconclusive" for v in result.verdicts):
        nothing = f"no probe got a verdict ({len(result.verdicts)} sent, none blocked or let through)"
    if not result.verdicts and args.fail_on is None:
        return EXIT_CLEAN  # probes off, or nothing opted in: the table's notes say so
    return gate.verdict(ctx, args.fail_on, nothing=nothing)


def _table(result: ProbeRun, findings: list[Finding], sink: IO[str], gate: select.Gate, *, quiet: bool) -> None:
    """One heading per deployment and one line per probe, then the selected findings: fits 80 columns,
    ids whole in JSON."""
    screen = console(sink)
    style = {"blocked": "green", "passed": "bold red", "detected_only": "bold red", "inconclusive": "yellow"}
    shown = ""
    for v in result.verdicts:
        if v.deployment_id != shown:
            shown = v.deployment_id
            screen.print(f"[bold]{escape(where(v.deployment_id))}[/]")
        screen.print(f"  [{style[v.outcome.value]}]{v.outcome.value:<13}[/] {v.probe_id:<26} {v.kind.value}", highlight=False)
    for finding in findings:
        exempt = gate.exemption_of(finding)
        label = "[green]exempt[/]" if exempt is not None else f"[bold red]{finding.severity.label}[/]"
        screen.print(f"{label} {escape(where(finding.resource_id))}: {escape(fit(finding.message))}", highlight=False)
        if exempt is not None:
            screen.print(
                f"  [green]until {exempt['expires_on']}, approved by {escape(str(exempt['approver']))}: {escape(str(exempt['reason']))}[/]",
                highlight=False,
            )
    if not quiet:
        for note in result.skipped:
            rid, _, why = note.partition(": ")
            text = f"{where(rid)}: {why}" if why else note
            screen.print(f"[yellow]note:[/] {escape(text)}", highlight=False)
