"""The `driftguard` command: `scan` (posture scan), `inventory`, `review` (access review), `events`
(replay), `probe` (canary probes), `demo`, `rules` (the catalog) and `policy` (validate, schema).

Exit codes: 0 done, 1 only for `--fail-on` (`scan`, `review`, `probe`: findings at or above it, or
nothing to judge), 2 usage, input or Azure error (one line on stderr, never a traceback), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # `python -m driftguard.cli`: through the light entry point first, so that a Ctrl-C during the
    # imports below exits 130 quietly too (see driftguard.entry); it imports this module as itself.
    from driftguard.entry import main as _entry

    _entry()

import argparse
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from azure.core.exceptions import AzureError

from driftguard import RULES_URL, __version__, compose, creep, nesting, rules
from driftguard.ids import fold
from driftguard.inventory import InventoryError
from driftguard.policy import ConfigError, Policy, Settings, known_rule_ids, load_policy, load_settings, parse_guid, policy_schema
from driftguard.review import Review
from driftguard.snapshot import SnapshotError
from driftguard.store.base import StateStore
from driftguard.terminal import login, output, probe, scan, select, sources, views
from driftguard.terminal.context import Context, UsageError
from driftguard.terminal.layout import console
from driftguard.terminal.select import SelectionError
from driftguard.textin import UnreadableText, read_text, stdin_text

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 0, 1, 2, 130, 141

__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "EXIT_FINDINGS", "EXIT_INTERRUPTED", "UsageError", "build_parser", "main", "run"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: scripts and people both read the first line.
        raise UsageError(f"{message} (see --help)")


def _common() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress, warnings or summary lines; errors still show")
    return common


def _add_sources(cmd: argparse.ArgumentParser) -> None:
    source = cmd.add_mutually_exclusive_group()
    source.add_argument(
        "--subscription",
        action="append",
        metavar="ID",
        help="subscription to read (repeatable; live, read-only; default: DRIFTGUARD_SUBSCRIPTIONS)",
    )
    source.add_argument("--management-group", metavar="NAME", help="every subscription under this management group (live)")
    source.add_argument(
        "--snapshot", metavar="FILE", help="JSON file of ARM resources, an ARM list or az graph query output (UTF-8 or UTF-16); - for stdin"
    )
    source.add_argument("--simulated", action="store_true", help="the bundled simulated estate (no Azure needed)")
    cmd.add_argument(
        "--policy", type=Path, metavar="FILE", help="policy file (JSON or TOML); default: DRIFTGUARD_POLICY_FILE or the built-in defaults"
    )
    cmd.add_argument("--output", metavar="FILE", help="write to FILE (only when the command succeeds; the format follows its extension)")
    cmd.add_argument(
        "--deep",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=(
            "also read through ARM what Resource Graph does not index: per account its deployments, RAI policies and Defender for AI"
            " setting, per AI resource its diagnostic settings (paced to ARM's read budget; on by default)"
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="driftguard",
        description=(
            "Keep Azure AI estates inside their security baseline: Azure OpenAI and AI Services accounts and their"
            " deployments, Foundry and Machine Learning workspaces, AI Search, the storage behind them, Container Apps"
            " session pools (code-execution sandboxes), API Management AI gateways, and the role assignments on them."
        ),
    )
    parser.add_argument("--version", action="version", version=f"driftguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _common()

    scan_cmd = sub.add_parser("scan", help="read-only posture scan of an estate", parents=[common])
    _add_sources(scan_cmd)
    scan_cmd.add_argument("--format", choices=scan.SCAN_FORMATS, help="output format (default: the --output extension, else table)")
    scan_cmd.add_argument(
        "--help-uri-base",
        type=scan.help_uri_base,
        metavar="URL",
        help=f"SARIF: link each rule to URL#<rule id>, a rule reference you host (default: {RULES_URL})",
    )
    select.add_selection(scan_cmd)
    select.add_fail_on(scan_cmd, "there is nothing to judge")

    assets = sub.add_parser(
        "inventory",
        help="the AI asset inventory: accounts, deployments, workspaces, Search, session pools, AI gateways, linked storage, owners, posture",
        description=(
            "The AI asset inventory: accounts (kind, endpoint), model deployments (model, version, content filter), workspaces,"
            " Search services, session pools (code-execution sandboxes), AI gateways (API Management services) and the accounts"
            " behind each (known from the policy file and from the gateways' backends), linked storage, owner and classification"
            " tags, open findings by severity."
        ),
        parents=[common],
    )
    _add_sources(assets)
    assets.add_argument("--format", choices=scan.INVENTORY_FORMATS, help="output format (default: the --output extension, else table)")

    demo = sub.add_parser(
        "demo",
        help="the story in a terminal: sweep, drift by a developer, DriftGuard's answers (simulated, nothing to configure)",
        parents=[common],
    )
    demo.add_argument("--policy", type=Path, metavar="FILE", help="policy file (JSON or TOML)")
    demo.add_argument(
        "--report", type=Path, default=Path("driftguard-demo-report.html"), metavar="FILE", help="where to write the HTML report"
    )

    replay = sub.add_parser(
        "events", help="replay Event Grid JSON (one event or an array, either schema) through the event path", parents=[common]
    )
    replay.add_argument("file", metavar="FILE", help="JSON file of events (UTF-8 or UTF-16); - for standard input")
    replay.add_argument("--live", action="store_true", help="read and judge against live Azure (default: the simulator)")
    replay.add_argument("--apply", action="store_true", help="with --live: really apply fixes (without it, a dry run)")
    replay.add_argument("--policy", type=Path, metavar="FILE", help="policy file (JSON or TOML)")
    replay.add_argument("--format", choices=["table", "json"], default="table")

    review = sub.add_parser(
        "review", help="access review: role assignments at AI scopes judged by persona, privilege and use", parents=[common]
    )
    who = review.add_mutually_exclusive_group()
    who.add_argument(
        "--subscription", action="append", metavar="ID", help="subscription to review (repeatable; live; default: DRIFTGUARD_SUBSCRIPTIONS)"
    )
    who.add_argument("--management-group", metavar="NAME", help="every subscription under this management group (live)")
    who.add_argument("--simulated", action="store_true", help="the simulated tenant (no Azure needed)")
    review.add_argument(
        "--workspace", metavar="GUID", help="Log Analytics workspace with the Activity Log (default: DRIFTGUARD_LOG_ANALYTICS_WORKSPACE)"
    )
    review.add_argument(
        "--open-cases", action="store_true", help="open a removal case (with its exact DELETE) per recommended removal, behind the guards"
    )
    review.add_argument(
        "--record", action="store_true", help="keep this review's snapshot in the app's store: the next review shows the creep since"
    )
    review.add_argument("--policy", type=Path, metavar="FILE", help="policy file (JSON or TOML)")
    review.add_argument("--format", choices=REVIEW_FORMATS, help="output format (default: the --output extension, else table)")
    review.add_argument("--output", metavar="FILE", help="write to FILE (only when the command succeeds; the format follows its extension)")
    select.add_selection(review)
    select.add_fail_on(review, "no role assignment at an AI scope was read")

    probe.add_parser(sub, common)

    rules_cmd = sub.add_parser("rules", help="list the rule catalog", parents=[common])
    rules_cmd.add_argument("--format", choices=["table", "json"], default="table")
    select.add_selection(rules_cmd)

    policy_cmd = sub.add_parser("policy", help="check a policy file, or print the policy file's JSON Schema")
    policy_sub = policy_cmd.add_subparsers(dest="policy_command", required=True, metavar="{validate,schema}")
    validate = policy_sub.add_parser(
        "validate", help="read FILE as DriftGuard would: exit 0 when valid, else every error (one line each) and exit 2"
    )
    validate.add_argument("file", type=Path, metavar="FILE", help="policy file (JSON or TOML)")
    policy_sub.add_parser("schema", help="print the policy file's JSON Schema (docs/policy.schema.json)")
    return parser


REVIEW_FORMATS = ("table", "json", "csv", "html")


def main(
    argv: Sequence[str] | None = None, *, stdin: IO[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    login.quiet_azure_logging()
    try:
        return _main(argv, stdin or sys.stdin, out, err)
    except KeyboardInterrupt:
        # Ctrl-C is the person's choice, not an error: no traceback, the shell's code for SIGINT.
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): nothing to say to it. Python would complain when it flushes
        # stdout at exit, so stdout is pointed at /dev/null first; 141 is what shells report for SIGPIPE.
        _silence_stdout()
        return EXIT_PIPE_CLOSED


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file descriptor (an embedding caller's stream)
        pass


def _main(argv: Sequence[str] | None, stdin: IO[str], out: IO[str], err: IO[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        err.write(f"driftguard: error: {e}\n")
        return EXIT_ERROR
    except SystemExit as e:  # --help, --version
        return int(e.code or 0)
    ctx = Context(stdin, out, err, quiet=getattr(args, "quiet", False))
    try:
        return _dispatch(args, ctx)
    except BrokenPipeError:
        raise
    except Exception as e:
        err.write(f"driftguard: error: {_one_line(e)}\n")
        return EXIT_ERROR


def _one_line(e: Exception) -> str:
    """Every failure a person can act on, as one line; the credential list azure-identity builds is
    not one (see driftguard.terminal.login)."""
    if login.is_login_failure(e):
        return login.MESSAGE
    if isinstance(e, ConfigError | SnapshotError | InventoryError | UsageError | SelectionError | UnreadableText):
        return _first_line(str(e))
    if isinstance(e, UnicodeDecodeError):
        return f"input is not UTF-8 or UTF-16 text (byte {e.start}: {e.reason})"
    if isinstance(e, ValueError) and str(e).startswith("--output"):
        return str(e)
    if isinstance(e, AzureError):
        return f"Azure request failed: {_first_line(e.message or str(e))}"
    if isinstance(e, OSError):
        return f"{e.filename or ''}: {e.strerror or e}"
    # A bug: still one line (a traceback helps nobody in a CI log), named as one.
    return f"internal error ({type(e).__name__}: {_first_line(str(e))}); please report it"


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "no details"


def _dispatch(args: argparse.Namespace, ctx: Context) -> int:
    if args.command == "rules":
        return _rules(args, ctx)
    if args.command == "policy":
        return _policy_command(args, ctx.out, ctx.err)
    settings = load_settings()  # validated even when the command line gives everything: a bad setting is a bug to surface
    policy = _policy(args.policy or settings.policy_file)
    if args.command == "review":
        return _review(args, ctx, settings, policy)
    if args.command == "inventory":
        return scan.run_inventory(args, ctx, settings, policy)
    if args.command == "events":
        return _events(args, ctx, settings, policy)
    if args.command == "probe":
        return probe.run(args, ctx, settings, policy)
    if args.command == "demo":
        from driftguard import demo

        return demo.run(policy, out=ctx.out, report=args.report)
    return scan.run_scan(args, ctx, settings, policy)


def _rules(args: argparse.Namespace, ctx: Context) -> int:
    from driftguard.terminal.select import Selection

    known = rules.metas()
    selection = Selection.of(args.severity, args.rule, (m.id for m in known))
    metas = [m for m in known if (args.severity is None or m.severity >= args.severity) and selection.keeps_rule(m.id)]
    if args.format == "json":
        payload = [
            {
                "id": m.id,
                "title": m.title,
                "severity": m.severity.label,
                "resource_types": list(m.resource_types),
                "seed_section": m.seed_section,
                "default_mode": m.default_mode.value,
                "remediation": m.remediation,
                "references": [{"kind": r.kind, "id": r.id, "title": r.title} for r in m.references],
                "requires": list(m.requires),
            }
            for m in metas
        ]
        ctx.out.write(json.dumps(payload, indent=2) + "\n")
        return EXIT_CLEAN
    views.rules(metas, console(ctx.out))
    return EXIT_CLEAN


def _policy(path: Path | None) -> Policy:
    policy = load_policy(path)
    # Incidents carry the alert rule id: a policy may name it (two approvers for a playbook, say).
    policy.check_rule_ids(known_rule_ids())
    return policy


def _policy_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.policy_command == "schema":
        out.write(json.dumps(policy_schema(), indent=2) + "\n")
        return EXIT_CLEAN
    try:
        _policy(args.file)
    except ConfigError as e:
        # Every error, one line each (not the first "and 3 more"), then exit 2.
        for line in e.errors:
            err.write(f"driftguard: error: {_first_line(line)}\n")
        return EXIT_ERROR
    out.write(f"{args.file}: valid policy file\n")
    return EXIT_CLEAN


def _events(args: argparse.Namespace, ctx: Context, settings: Settings, policy: Policy) -> int:
    import tempfile

    from driftguard.events import EventRejected, iter_events, parse_event
    from driftguard.respond import Result

    if args.apply and not args.live:
        raise UsageError("--apply only means something with --live (the simulator is changed anyway)")
    try:
        text = stdin_text(ctx.stdin).read() if args.file == "-" else read_text(Path(args.file))
        # The limit is each event's (checked as it is parsed): the file's batch array is one level more.
        payload = nesting.parse(json.loads, text.lstrip("\ufeff"), args.file, envelope=1)
    except nesting.TooDeep as e:
        raise UsageError(str(e)) from e
    except UnreadableText:
        raise
    except ValueError as e:
        raise UsageError(f"{args.file}: not valid JSON: {e}") from None
    try:
        raw_events = list(iter_events(payload))
    except EventRejected as e:
        raise UsageError(f"{args.file}: {e.reason}") from None
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="driftguard-events-") as tmp:
        if args.live:
            sources.sign_in(ctx, settings)
            # Without --apply: a dry run into a throwaway store, never the user's real one.
            live = settings.model_copy(update={"dry_run": not args.apply or settings.dry_run})
            responder = compose.events_responder(live, policy, apply=args.apply, scratch=Path(tmp))
        else:
            responder = compose.SimulatedWorld(Path(tmp), policy).responder
        with ctx.steps.step("handling the events", unit="handled") as tick:
            for n, raw in enumerate(raw_events, start=1):
                try:
                    change = parse_event(raw)
                except EventRejected as e:
                    rows.append({"event_id": e.event_id, "resource_id": None, "outcome": "rejected", "reason": e.reason, "rule": None})
                    continue
                results: list[Result] = responder.handle(change)
                rows.extend(r.to_json() for r in results if r.outcome.value != "compliant")
                if all(r.outcome.value == "compliant" for r in results):
                    # What was judged (an account, for an event about its connection), not the event's subject.
                    judged = {r.resource_id for r in results}
                    rows.append(
                        {
                            "event_id": change.event_id,
                            "resource_id": judged.pop() if len(judged) == 1 else change.resource_id,
                            "outcome": "compliant",
                            "reason": "every rule passes",
                            "rule": None,
                        }
                    )
                tick(n)
    if args.format == "json":
        ctx.out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_CLEAN
    views.events(rows, len(raw_events), console(ctx.out))
    return EXIT_CLEAN


def _review(args: argparse.Namespace, ctx: Context, settings: Settings, policy: Policy) -> int:
    import tempfile

    from driftguard.review import to_csv as review_csv

    fmt = output.choose_format(args.format, args.output, REVIEW_FORMATS, command="review")
    if args.workspace:
        try:
            parse_guid(args.workspace)
        except ValueError:
            raise UsageError(f"--workspace {args.workspace!r} is not a workspace id (a GUID)") from None
    now = datetime.now(UTC)
    gate = select.Gate.of(args, policy, now.date(), rules.access_registry(), ctx)
    with tempfile.TemporaryDirectory(prefix="driftguard-review-") as tmp, output.destination(args.output, ctx.out) as sink:
        store: StateStore | None = None
        if args.simulated:
            with ctx.steps.step("reviewing the simulated tenant's role assignments"):
                world = compose.SimulatedWorld(Path(tmp), policy)
                full = world.review(policy)
            store = world.store
        else:
            scope = sources.scope(args, settings)
            sources.sign_in(ctx, settings)
            with ctx.steps.step(f"reviewing role assignments at AI scopes in {scope.describe()}"):
                full = compose.live_review(settings, policy, scope, workspace=args.workspace)
            if args.open_cases or args.record:
                store = compose.live_state_store(settings)
        review, shown = _selected(full, gate, narrowed=bool(args.severity or args.rule))
        outcome = None
        if args.open_cases and store is not None:
            from driftguard.review import open_removal_cases

            outcome = open_removal_cases(review, store=store, policy=policy, now=now, own_ids=frozenset(settings.identity_ids))
        history: list[tuple[datetime, Mapping[str, Any]]] = []
        change = None
        if args.record and store is not None:
            # The whole review is the record, whatever this command line shows of it.
            history, change = creep.record(full, store, now)
        exempt = [{"assignment_id": f.resource_id, "rule": f.rule, **e} for f in review.findings if (e := gate.exemption_of(f)) is not None]
        exempt_by_key = {(fold(x["assignment_id"]), x["rule"]): x for x in exempt}
        with output.writing(ctx, args.output, fmt):
            if fmt == "html":
                from driftguard.report import review_html

                sink.write(review_html.render(review, history=history, change=change, generated=now))
            elif fmt == "json":
                cases = {"opened": outcome.opened, "guarded": outcome.guarded, "batched": outcome.batched} if outcome else None
                sink.write(
                    json.dumps(
                        {
                            "summary": {**review.summary(), "shown": len(review.rows), "exempt": len(exempt)},
                            "figures": creep.figures(review),
                            "cases": cases,
                            "exempt": exempt,
                            "assignments": [r.to_json() for r in review.rows],
                        },
                        indent=2,
                    )
                    + "\n"
                )
            elif fmt == "csv":
                sink.write(review_csv(review, exempt=exempt_by_key))
            else:
                screen = console(sink)
                views.review(
                    review,
                    screen,
                    shown=shown,
                    exempt=exempt_by_key,
                    of=len(full.rows) if shown is not None else None,
                )
                if not ctx.quiet:
                    for note in review.notes:
                        screen.print(f"[yellow]note:[/] {note}", highlight=False)
                if outcome is not None:
                    batch = " (one batch case)" if outcome.batched else ""
                    screen.print(
                        f"{len(outcome.opened)} removal case(s) opened{batch}; {len(outcome.guarded)} kept by a guard", highlight=False
                    )
                    for kept in outcome.guarded:
                        screen.print(f"  kept: {kept}", highlight=False)
    output.wrote(ctx, args.output, fmt, f"{len(review.rows)} role assignment(s), {len(review.findings)} finding(s), {len(exempt)} exempt")
    nothing = None
    if not full.rows:
        nothing = "no role assignments at AI scopes: check the scope and that the identity can read them (Reader)"
    return gate.verdict(ctx, args.fail_on, nothing=nothing)


def _selected(full: Review, gate: select.Gate, *, narrowed: bool) -> tuple[Review, Mapping[str, frozenset[str]] | None]:
    """The review as `--severity` and `--rule` select it, through the scan's gate (so exemptions and
    `--fail-on` count the same findings). Narrowed, only the assignments failing a selected rule are
    shown, each with the selected rules it fails (`shown`, by folded assignment id); else every row."""
    import dataclasses

    findings = list(gate.filter(full.findings))
    if not narrowed:
        return dataclasses.replace(full, findings=findings), None
    shown: dict[str, set[str]] = {}
    for f in findings:
        shown.setdefault(fold(f.resource_id), set()).add(f.rule)
    rows = [r for r in full.rows if fold(r.assignment_id) in shown]
    return dataclasses.replace(full, rows=rows, findings=findings), {k: frozenset(v) for k, v in shown.items()}


def run() -> NoReturn:
    """The old console-script target, kept for installs made before `driftguard.entry:main`."""
    sys.exit(main())
