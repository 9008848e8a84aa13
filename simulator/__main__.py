"""`python -m simulator serve [--resources N]` serves an estate over HTTPS on 127.0.0.1 and prints one
JSON line with its base URL and CA file; `python -m simulator generate --resources N --output F` writes
a snapshot file (a JSON array of ARM resources) without holding the estate in memory."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from simulator import Simulator, generate, sample
from simulator.server import SimulatorServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--resources", type=int, default=0, help="a generated estate of N resources (default: the sample estate)")
    serve.add_argument("--assignments", type=int, default=0, help="with --resources: a generated tenant of N role assignments")
    serve.add_argument("--principals", type=int, default=1000, help="with --assignments: how many principals hold them")
    serve.add_argument("--subscriptions", type=int, default=10, help="with --resources: how many subscriptions hold them")
    serve.add_argument(
        "--no-throttling",
        dest="throttling",
        action="store_false",
        help="answer every request (default: ARM's token buckets and Resource Graph's quota, as Azure throttles)",
    )
    serve.add_argument("--lro-delay", type=float, default=0.0, help="seconds a long-running operation runs before it completes")
    gen = sub.add_parser("generate")
    gen.add_argument("--resources", type=int, required=True)
    gen.add_argument("--output", required=True)
    gen.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    if args.command == "generate":
        with open(args.output, "w", encoding="utf-8") as out:
            out.write("[")
            for i, r in enumerate(generate.resources(args.resources, seed=args.seed)):
                out.write(("\n" if i == 0 else ",\n") + json.dumps(r, separators=(",", ":")))
            out.write("\n]\n")
        return 0

    if args.resources:
        sim = Simulator(
            generate.estate(args.resources, subscriptions=args.subscriptions), throttling=args.throttling, lro_delay_s=args.lro_delay
        )
        if args.assignments:
            generate.tenant(sim, assignments=args.assignments, principals=args.principals)
    else:
        sim = Simulator(sample.build(), management_groups=sample.MANAGEMENT_GROUPS, throttling=args.throttling, lro_delay_s=args.lro_delay)
    server = SimulatorServer(sim, port=args.port).start()
    info = {"base_url": server.base_url, "ca_file": server.ca_file, "resources": len(sim.estate), "throttling": sim.throttle is not None}
    print(json.dumps(info), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
