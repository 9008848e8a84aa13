"""The `driftguard` command: `scan` (posture scan) and `rules` (the catalog).

Exit codes: 0 clean (or no --fail-on), 1 findings at or above --fail-on, 2 usage or input error.
Every error is one line on stderr; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from azure.core.exceptions import AzureError, ClientAuthenticationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from driftguard import compose, creep, nesting, rules
from driftguard.assets import Asset, AssetTap
from driftguard.azure.resource_graph import Scope
from driftguard.inventory import Inventory, InventoryError
from driftguard.model import Finding, Severity
from driftguard.pipeline import Evaluator
from driftguard.policy import ConfigError, Policy, load_policy, load_settings, parse_guid, policy_schema
from driftguard.report import Format, html, json_report, sarif, table
from driftguard.snapshot import SnapshotError
from driftguard.store.base import StateStore

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: scripts and people both read the first line.
        raise UsageError(f"{message} (see --help)")


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_sources(cmd: argparse.ArgumentParser) -> None:
    source = cmd.add_mutually_exclusive_group(required=True)
    source.add_argument("--subscription", action="append", metavar="ID", help="subscription to read (repeatable; live, read-only)")
    source.add_argument("--management-group", metavar="NAME", help="every subscription under this management group (live)")
    source.add_argument("--snapshot", metavar="FILE", help="JSON file of ARM resources, an ARM list or az graph query output; - for stdin")
    source.add_argument("--simulated", action="store_true", help="the bundled simulated estate (no Azure needed)")
    cmd.add_argument(
        "--policy", type=Path, metavar="FILE", help="policy file (JSON or TOML); default: DRIFTGUARD_POLICY_FILE or the built-in defaults"
    )
    cmd.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
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
    parser = _Parser(prog="driftguard", description="Keep Azure AI estates inside their security baseline.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser("scan", help="read-only posture scan of an estate")
    _add_sources(scan)
    scan.add_argument("--format", type=Format, choices=list(Format), default=Format.TABLE, help="output format (default: table)")
    scan.add_argument(
        "--fail-on",
        type=_severity,
        metavar="SEVERITY",
        help="exit 1 when a finding is at or above this severity (info, low, medium, high, critical)",
    )

    assets = sub.add_parser(
        "inventory", help="the AI asset inventory: accounts, deployments, workspaces, Search, linked storage, owners, posture"
    )
    _add_sources(assets)
    assets.add_argument("--format", choices=["table", "json", "csv"], default="table")

    demo = sub.add_parser(
        "demo", help="the story in a terminal: sweep, drift by a developer, DriftGuard's answers (simulated, nothing to configure)"
    )
    demo.add_argument("--policy", type=Path, metavar="FILE", help="policy file (JSON or TOML)")
    demo.add_argument(
        "--report", type=Path, default=Path("driftguard-demo-report.html"), metavar="FILE", help="where to write the HTML report"
    )

    replay = sub.add_parser("events", help="replay Event Grid JSON (one event or an array, either schema) through the event path")
    replay.add_argument("file", metavar="FILE", help="JSON file of events; - for standard input")
    replay.add_argument("--live", action="store_true", help="read and judge against live Azure (default: the simulator)")
    replay.add_argument("--apply", action="store_true", help="with --live: really apply fixes (without it, a dry run)")
    replay.add_argument("--policy", type=Path, metavar="FILE", help="policy file (JSON or TOML)")
    replay.add_argument("--format", choices=["table", "json"], default="table")

    review = sub.add_parser("review", help="access review: role assignments at AI scopes judged by persona, privilege and use")
    who = review.add_mutually_exclusive_group(required=True)
    who.add_argument("--subscription", action="append", metavar="ID", help="subscription to review (repeatable; live, read-only)")
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
    review.add_argument("--format", choices=["table", "json", "csv", "html"], default="table")
    review.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")

    rules_cmd = sub.add_parser("rules", help="list the rule catalog")
    rules_cmd.add_argument("--format", choices=["table", "json"], default="table")

    policy_cmd = sub.add_parser("policy", help="check a policy file, or print the policy file's JSON Schema")
    policy_sub = policy_cmd.add_subparsers(dest="policy_command", required=True, metavar="{validate,schema}")
    validate = policy_sub.add_parser("validate", help="read FILE as DriftGuard would: exit 0 when valid, else one line and exit 2")
    validate.add_argument("file", type=Path, metavar="FILE", help="policy file (JSON or TOML)")
    policy_sub.add_parser("schema", help="print the policy file's JSON Schema (docs/policy.schema.json)")
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdin: IO[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        err.write(f"driftguard: error: {e}\n")
        return EXIT_ERROR
    except SystemExit as e:  # --help
        return int(e.code or 0)
    try:
        if args.command == "rules":
            return _rules(args.format, out)
        if args.command == "policy":
            return _policy_command(args, out)
        if args.command == "review":
            return _review(args, out)
        if args.command == "inventory":
            return _assets(args, stdin or sys.stdin, out, err)
        if args.command == "events":
            return _events(args, stdin or sys.stdin, out)
        if args.command == "demo":
            from driftguard import demo

            return demo.run(_policy(args.policy), out=out, report=args.report)
        return _scan(args, stdin or sys.stdin, out, err)
    except (ConfigError, SnapshotError, InventoryError, UsageError) as e:
        err.write(f"driftguard: error: {e}\n")
    except ClientAuthenticationError as e:
        err.write(
            f"driftguard: error: Azure authentication failed (run `az login`, or check the managed identity): {_first_line(e.message)}\n"
        )
    except AzureError as e:
        err.write(f"driftguard: error: Azure request failed: {_first_line(e.message or str(e))}\n")
    except OSError as e:
        err.write(f"driftguard: error: {e.filename or ''}: {e.strerror or e}\n")
    return EXIT_ERROR


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "no details"


def _rules(fmt: str, out: IO[str]) -> int:
    metas = rules.metas()
    if fmt == "json":
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
        out.write(json.dumps(payload, indent=2) + "\n")
        return EXIT_CLEAN
    from rich.table import Table

    t = Table(title=f"{len(metas)} rules", expand=True)
    for col in ("rule", "severity", "default mode", "remediation", "seed section"):
        t.add_column(col, overflow="fold")
    for m in metas:
        t.add_row(m.id, m.severity.label, m.default_mode.value, m.remediation or "-", m.seed_section)
    Console(file=out, width=160).print(t)
    return EXIT_CLEAN


def _events(args: argparse.Namespace, stdin: IO[str], out: IO[str]) -> int:
    import tempfile

    from driftguard.events import EventRejected, iter_events, parse_event
    from driftguard.respond import Result

    if args.apply and not args.live:
        raise UsageError("--apply only means something with --live (the simulator is changed anyway)")
    try:
        text = stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        # The limit is each event's (checked as it is parsed): the file's batch array is one level more.
        payload = nesting.parse(json.loads, text, args.file, envelope=1)
    except nesting.TooDeep as e:
        raise UsageError(str(e)) from e
    except ValueError as e:
        raise UsageError(f"{args.file}: not valid JSON: {e}") from None
    try:
        raw_events = list(iter_events(payload))
    except EventRejected as e:
        raise UsageError(f"{args.file}: {e.reason}") from None
    settings = load_settings()
    policy = _policy(args.policy or settings.policy_file)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="driftguard-events-") as tmp:
        if args.live:
            # Without --apply: a dry run into a throwaway store, never the user's real one.
            live = settings.model_copy(update={"dry_run": not args.apply or settings.dry_run})
            responder = compose.events_responder(live, policy, apply=args.apply, scratch=Path(tmp))
        else:
            responder = compose.SimulatedWorld(Path(tmp), policy).responder
        for raw in raw_events:
            try:
                change = parse_event(raw)
            except EventRejected as e:
                rows.append({"event_id": e.event_id, "resource_id": None, "outcome": "rejected", "reason": e.reason, "rule": None})
                continue
            results: list[Result] = responder.handle(change)
            rows.extend(r.to_json() for r in results if r.outcome.value != "compliant")
            if all(r.outcome.value == "compliant" for r in results):
                rows.append(
                    {
                        "event_id": change.event_id,
                        "resource_id": change.resource_id,
                        "outcome": "compliant",
                        "reason": "every rule passes",
                        "rule": None,
                    }
                )
    if args.format == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_CLEAN
    from rich.table import Table

    t = Table(title=f"{len(raw_events)} event(s)", expand=True)
    for col in ("event", "outcome", "rule", "reason"):
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(str(row["event_id"] or "-"), row["outcome"], row["rule"] or "", row["reason"])
    Console(file=out, width=160).print(t)
    return EXIT_CLEAN


def _scope(args: argparse.Namespace) -> Scope:
    """The live scope named on the command line: subscriptions (GUIDs, checked) or a management group."""
    subscriptions = []
    for value in args.subscription or []:
        try:
            subscriptions.append(parse_guid(value))
        except ValueError:
            raise UsageError(f"--subscription {value!r} is not a subscription id (a GUID)") from None
    return Scope(subscriptions=tuple(subscriptions), management_group=args.management_group)


def _policy(path: Path | None) -> Policy:
    policy = load_policy(path)
    policy.check_rule_ids({m.id for m in rules.metas()})
    return policy


def _policy_command(args: argparse.Namespace, out: IO[str]) -> int:
    if args.policy_command == "schema":
        out.write(json.dumps(policy_schema(), indent=2) + "\n")
        return EXIT_CLEAN
    _policy(args.file)  # a ConfigError here is the one-line refusal, exit 2
    out.write(f"{args.file}: valid policy file\n")
    return EXIT_CLEAN


def _inventory(args: argparse.Namespace, stdin: IO[str]) -> AbstractContextManager[Inventory]:
    settings = load_settings()
    if args.simulated:
        return compose.simulated_inventory(deep=args.deep)
    if args.snapshot:
        return compose.snapshot_inventory(args.snapshot, stdin)
    scope = _scope(args)
    return compose.live_inventory(
        scope, deep=args.deep, endpoint=settings.arm_endpoint, managed_identity_client_id=settings.managed_identity_client_id
    )


def _scan(args: argparse.Namespace, stdin: IO[str], out: IO[str], err: IO[str]) -> int:
    settings = load_settings()  # validated even when the command line gives everything: a bad setting is a bug to surface
    policy = _policy(args.policy or settings.policy_file)
    evaluator = Evaluator(policy, now=datetime.now(UTC))
    worst: Severity | None = None

    def track(findings: Iterator[Finding]) -> Iterator[Finding]:
        nonlocal worst
        for f in findings:
            if worst is None or f.severity > worst:
                worst = f.severity
            yield f

    with (
        _open_output(args.output, out) as sink,
        _inventory(args, stdin) as inventory,
        _progress(err, enabled=not args.snapshot) as progress,
    ):
        # The HTML report carries the AI asset inventory, gathered in the same pass.
        tap = AssetTap(inventory, policy.data) if args.format == Format.HTML else None
        findings, summary = evaluator.run(tap or inventory, progress=progress)
        stream = track(findings)
        if args.format == Format.JSON:
            json_report.write(stream, summary.to_json, sink)
        else:
            collected = list(stream)
            assets = tap.finish(collected) if tap is not None else []
            _render(args.format, collected, summary.to_json(), sink, assets)
    if args.fail_on is not None and worst is not None and worst >= args.fail_on:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _review(args: argparse.Namespace, out: IO[str]) -> int:
    import tempfile

    from driftguard.review import to_csv as review_csv

    settings = load_settings()
    policy = _policy(args.policy or settings.policy_file)
    with tempfile.TemporaryDirectory(prefix="driftguard-review-") as tmp, _open_output(args.output, out) as sink:
        store: StateStore | None = None
        if args.simulated:
            world = compose.SimulatedWorld(Path(tmp), policy)
            review = world.review(policy)
            store = world.store
        else:
            scope = _scope(args)
            if args.workspace:
                try:
                    parse_guid(args.workspace)
                except ValueError:
                    raise UsageError(f"--workspace {args.workspace!r} is not a workspace id (a GUID)") from None
            review = compose.live_review(settings, policy, scope, workspace=args.workspace)
            if args.open_cases or args.record:
                store = compose.live_state_store(settings)
        now = datetime.now(UTC)
        outcome = None
        if args.open_cases and store is not None:
            from driftguard.review import open_removal_cases

            outcome = open_removal_cases(review, store=store, policy=policy, now=now, own_ids=frozenset(settings.identity_ids))
        history: list[tuple[datetime, Mapping[str, Any]]] = []
        change = None
        if args.record and store is not None:
            history, change = creep.record(review, store, now)
        if args.format == "html":
            from driftguard.report import review_html

            sink.write(
                review_html.render(
                    review,
                    history=history,
                    change=change,
                    generated=now,
                )
            )
        elif args.format == "json":
            cases = {"opened": outcome.opened, "guarded": outcome.guarded, "batched": outcome.batched} if outcome else None
            sink.write(
                json.dumps(
                    {
                        "summary": review.summary(),
                        "figures": creep.figures(review),
                        "cases": cases,
                        "assignments": [r.to_json() for r in review.rows],
                    },
                    indent=2,
                )
                + "\n"
            )
        elif args.format == "csv":
            sink.write(review_csv(review))
        else:
            from rich.table import Table

            t = Table(
                title=f"{len(review.rows)} role assignment(s) at AI scopes, {len(review.findings)} finding(s)", expand=True, show_lines=True
            )
            for col in ("scope", "principal", "role", "last activity", "verdicts"):
                t.add_column(col, overflow="fold")
            for r in review.rows:
                fails = [f"{k}: {v[6:]}" for k, v in r.verdicts.items() if v.startswith("fail")]
                t.add_row(
                    r.scope,
                    f"{r.principal_id}\n[dim]{r.principal_kind}[/]",
                    r.role_name,
                    r.last_activity or "none",
                    "\n".join(fails) or "ok",
                )
            console = Console(file=sink, width=None if sink.isatty() else 180)
            console.print(t)
            for note in review.notes:
                console.print(f"[yellow]note:[/] {note}", highlight=False)
            if outcome is not None:
                batch = " (one batch case)" if outcome.batched else ""
                console.print(
                    f"{len(outcome.opened)} removal case(s) opened{batch}; {len(outcome.guarded)} kept by a guard", highlight=False
                )
                for kept in outcome.guarded:
                    console.print(f"  kept: {kept}", highlight=False)
    return EXIT_CLEAN


def _assets(args: argparse.Namespace, stdin: IO[str], out: IO[str], err: IO[str]) -> int:
    from driftguard.assets import AssetTap, to_csv

    settings = load_settings()
    policy = _policy(args.policy or settings.policy_file)
    with (
        _open_output(args.output, out) as sink,
        _inventory(args, stdin) as inventory,
        _progress(err, enabled=not args.snapshot) as progress,
    ):
        tap = AssetTap(inventory, policy.data)
        findings, _ = Evaluator(policy, now=datetime.now(UTC)).run(tap, progress=progress)
        assets = tap.finish(findings)
        if args.format == "json":
            sink.write(json.dumps([a.to_json() for a in assets], indent=2) + "\n")
        elif args.format == "csv":
            sink.write(to_csv(assets))
        else:
            from rich.table import Table

            t = Table(title=f"{len(assets)} AI asset(s)", expand=True, show_lines=True)
            for col in ("asset", "kind", "owner", "classification", "deployments / linked storage", "open findings"):
                t.add_column(col, overflow="fold")
            for a in assets:
                detail = "\n".join(a.deployments) or "\n".join(s.rsplit("/", 1)[-1] for s in a.storage)
                posture = ", ".join(f"{k} {v}" for k, v in sorted(a.findings.items())) or "none"
                t.add_row(f"{a.name}\n[dim]{a.type}[/]", a.kind, a.owner, a.classification, detail, posture)
            Console(file=sink, width=None if sink.isatty() else 180).print(t)
    return EXIT_CLEAN


def _render(fmt: Format, findings: list[Finding], summary: dict[str, Any], sink: IO[str], assets: Sequence[Asset] = ()) -> None:
    if fmt == Format.SARIF:
        sink.write(json.dumps(sarif.document(findings, rules.metas()), indent=2) + "\n")
    elif fmt == Format.HTML:
        sink.write(html.render(findings, summary, generated=datetime.now(UTC), assets=assets))
    else:
        table.render(findings, summary, Console(file=sink, width=None if sink.isatty() else 180))


@contextlib.contextmanager
def _open_output(path: str | None, default: IO[str]) -> Iterator[IO[str]]:
    if path is None or path == "-":
        yield default
        return
    with Path(path).open("w", encoding="utf-8") as f:
        yield f


@contextlib.contextmanager
def _progress(err: IO[str], *, enabled: bool) -> Iterator[Any]:
    """A progress line on a terminal for live scans; nothing when stderr is a file or a pipe."""
    if not (enabled and err.isatty()):
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=Console(file=err), transient=True) as bar:
        task = bar.add_task("reading the estate", total=None)
        yield lambda n: bar.update(task, description=f"evaluated {n} resources")


def run() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    run()
