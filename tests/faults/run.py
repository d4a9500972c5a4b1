"""The fault suite's driver: `make faults` (full) and `make faults-short` (inside `make test`).

Starts a fresh local control plane in a temporary folder, the operator behind a TCP proxy, a
release, an offer and the subscriptions, runs the fault scenarios while they converge, checks
the invariants, and prints one Markdown table (fault, times injected, recovery p50/max,
invariant violations, changes lost). Exits non-zero on any violation or lost change. The seed
is printed; the same seed makes the same choices (which subscriptions, which moments), though
not the same interleavings, which the machine decides.

    PYTHONPATH=tests python -m faults.run --subscriptions 200 --kills 100 --seed 7
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from faults.harness import Config, Harness, say
from faults.report import FaultResult, table
from faults.scenarios import SCENARIOS, run_all


def run_suite(config: Config, workdir: Path) -> tuple[list[FaultResult], list[str]]:
    """Every selected scenario on a fresh cluster in `workdir`, always stopped afterwards;
    the rows of the table and the error lines found in the operator's log."""
    harness = Harness(config, workdir)
    try:
        harness.up()
        return run_all(harness), harness.findings
    except BaseException:
        if harness.results:  # what finished before the run was cut short
            print(render(harness.results, [], config, 0.0), end="", flush=True)
        raise
    finally:
        harness.down()


def render(results: list[FaultResult], findings: list[str], config: Config, took: float) -> str:
    header = (
        f"Fault suite: {config.subscriptions} subscriptions, {config.kills} kills, "
        f"{config.restarts} restart(s) of each component, {took / 60:.1f} min"
    )
    text = table(results, seed=config.seed, header=header)
    if findings:
        text += "\nOperator log, error lines (most frequent first):\n"
        text += "".join(f"    {line}\n" for line in findings[:15])
    return text


def parse(argv: Sequence[str] | None = None) -> tuple[Config, Path | None, Path | None]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, help="random seed (default: a fresh one, printed)")
    parser.add_argument("--subscriptions", type=int, default=200, help="N (default 200)")
    parser.add_argument("--kills", type=int, default=100, help="operator kills (default 100)")
    parser.add_argument(
        "--restarts",
        type=int,
        default=3,
        help="restarts of kube-apiserver and of etcd, stalls and drops, each (default 3)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--overrun",
        type=float,
        default=300.0,
        help="seconds to keep waiting past the 2-minute bound to time a late recovery",
    )
    parser.add_argument("--workdir", type=Path, help="keep the cluster and logs here")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    if unknown := [s for s in scenarios if s not in SCENARIOS]:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    config = Config(
        seed=seed,
        subscriptions=args.subscriptions,
        kills=args.kills,
        restarts=args.restarts,
        scenarios=scenarios,
        overrun=args.overrun,
    )
    workdir: Path | None = args.workdir.resolve() if args.workdir else None
    out: Path | None = args.out
    return config, workdir, out


def suite(config: Config, workdir: Path | None = None, out: Path | None = None) -> int:
    """Run, print the table (and write it to `out`); 0 when nothing was violated or lost."""
    say(f"seed {config.seed} (rerun with --seed {config.seed})")
    keep = workdir is not None
    folder = workdir or Path(tempfile.mkdtemp(prefix="it4it-faults-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        results, findings = run_suite(config, folder)
    except BaseException:
        say(f"aborted; the cluster's logs and the operator's are kept in {folder}")
        raise
    text = render(results, findings, config, time.monotonic() - started)
    print(text, end="", flush=True)
    if out:
        out.write_text(text)
    failed = any(r.failed for r in results)
    if failed and not keep:
        shutil.rmtree(folder / "cluster" / "etcd", ignore_errors=True)
        say(f"logs kept in {folder}")
    elif not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    return suite(*parse(argv))


if __name__ == "__main__":
    sys.exit(main())
