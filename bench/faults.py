"""Fault harness: the three-process pipeline under kill -9, a frozen broker, a stopped database,
SIGTERM mid-stream and poison, each run compared with a clean run of the same items.

    .venv/bin/python bench/faults.py [--seeds 3] [--items 300] [--scenario NAME ...] [--duration 20]

A clean run first gives the reference digest (``harness.digest``: every row of the store's reports,
merged events and story links). Each scenario then replays the same items from empty topics and
databases with its faults at seeded random moments, and passes when the store ends equal to the
reference (none lost, none doubled), both consumer groups have no lag (no partition stuck), and the
scenario's own checks hold (exit codes and drain times for SIGTERM, dead letters for poison).
Prints one table: scenario, runs, seeds, passed, time.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness.digest import StoreDigest, dead_letters, first_difference, store_rows  # noqa: E402
from bench.harness.pipeline import SERVICES, Pipeline, RunConfig, RunStuck  # noqa: E402
from bench.harness.poison import EXCERPT_LIMIT, inject, poisons  # noqa: E402
from bench.harness.processes import freeze, thaw  # noqa: E402
from bench.harness.replay import load_items  # noqa: E402

log = logging.getLogger("faults")
GRACE_S = 30.0  # Kubernetes' default terminationGracePeriodSeconds
FREEZE_S = 40.0  # past the consumers' 6 s session and the clients' 30 s request timeouts


@dataclass
class RunResult:
    scenario: str
    seed: int
    passed: bool
    seconds: float
    problems: list[str]


Fault = Callable[[Pipeline, random.Random, float], list[str]]


def _at(p: Pipeline, t0: float, when: float) -> None:
    """Sleep until ``when`` seconds after ``t0``, restarting a service that died meanwhile."""
    while time.monotonic() < t0 + when:
        p.supervise()
        p.sample()
        time.sleep(0.1)


def _moments(rng: random.Random, duration: float, n: int) -> list[float]:
    return sorted(rng.uniform(0.1, 1.0) * duration for _ in range(n))


def no_fault(_p: Pipeline, _rng: random.Random, _duration: float) -> list[str]:
    return []


def kill_service(name: str, kills: int = 3) -> Fault:
    def fault(p: Pipeline, rng: random.Random, duration: float) -> list[str]:
        t0 = time.monotonic()
        for when in _moments(rng, duration, kills):
            _at(p, t0, when)
            p.services[name].restart()  # kill -9 of its process group, then start again
        return []
    return fault


def freeze_broker(p: Pipeline, rng: random.Random, duration: float) -> list[str]:
    _at(p, time.monotonic(), _moments(rng, duration, 1)[0])
    assert p.broker.process is not None
    freeze(p.broker.process.pid)
    try:
        time.sleep(FREEZE_S)
    finally:
        thaw(p.broker.process.pid)
    return []


def stop_postgres(p: Pipeline, rng: random.Random, duration: float) -> list[str]:
    assert p.postgres is not None, "stop-postgres needs --database postgres"
    _at(p, time.monotonic(), _moments(rng, duration, 1)[0])
    p.postgres.stop("immediate")
    time.sleep(rng.uniform(5, 12))
    p.postgres.start()
    return []


def sigterm(p: Pipeline, rng: random.Random, duration: float) -> list[str]:
    """SIGTERM each service mid-stream: it must drain and exit 0 within the grace period."""
    problems, t0 = [], time.monotonic()
    order = list(SERVICES)
    rng.shuffle(order)
    for name, when in zip(order, _moments(rng, duration, len(order)), strict=True):
        _at(p, t0, when)
        p.wait_running(name)  # mid-stream: a process still importing has nothing to drain
        code, took = p.services[name].terminate(GRACE_S)
        log.info("SIGTERM %s: exit %s in %.1fs", name, code, took)
        if code != 0:
            problems.append(f"{name} exited {code} after SIGTERM ({took:.1f}s): {p.services[name].log_tail(800)}")
        p.services[name].start()
    return problems


def poison(p: Pipeline, rng: random.Random, duration: float) -> list[str]:
    _at(p, time.monotonic(), _moments(rng, duration, 1)[0])
    items = poisons()
    inject(p.broker.bootstrap, items)
    return [f"poison:{x.kind}" for x in items]  # checked once the run is quiet (check_poison)


def check_poison(p: Pipeline, kinds: list[str]) -> list[str]:
    """Every poison has a dead letter (from extract, or from the store for a report extract made of
    it) with a bounded excerpt; valid input that yields nothing has none (and the digest shows that
    nothing of it was stored)."""
    letters = dead_letters(p.broker.bootstrap)
    problems = []
    for x in (x for x in poisons() if x.kind in kinds):
        found = [d for d in letters if d.key == x.key or (x.marker and x.marker in d.value)]
        if x.dead_letter and not found:
            problems.append(f"{x.key}: no dead letter")
        for d in found:
            if len(d.value.encode()) > EXCERPT_LIMIT or (d.value_truncated and d.value_bytes <= EXCERPT_LIMIT):
                problems.append(f"{x.key}: dead letter excerpt not bounded ({len(d.value)} chars)")
    return problems


SCENARIOS: dict[str, Fault] = {
    "clean": no_fault,
    **{f"kill-{name}": kill_service(name) for name in SERVICES},
    "freeze-broker": freeze_broker,
    "stop-postgres": stop_postgres,
    "sigterm": sigterm,
    "poison": poison,
}


REFERENCE_ROWS: list[str] = []  # the clean run's rows, to say how a differing store differs


def run_once(config: RunConfig, scenario: str, seed: int, reference: StoreDigest | None,
             timeout_s: float) -> tuple[RunResult, StoreDigest | None]:
    """One run of ``scenario``; with no reference it is the clean run that makes one."""
    t0, problems, digest = time.monotonic(), [], None
    try:
        with Pipeline(config, f"{scenario}-{seed}") as p:
            outcome = SCENARIOS[scenario](p, random.Random(seed), config.duration_s)
            poison_keys = [k.split(":", 1)[1] for k in outcome if k.startswith("poison:")]
            problems = [k for k in outcome if not k.startswith("poison:")]
            digest = p.wait_quiet(timeout_s, expected=reference)
            if reference is None:
                REFERENCE_ROWS[:] = store_rows(p.store_url)
            elif digest != reference:
                problems.append(f"store differs from the clean run: {digest} != {reference}: "
                                + first_difference(store_rows(p.store_url), REFERENCE_ROWS))
            if (lag := p.lag()) != 0:
                problems.append(f"consumer lag {lag} at the end")
            problems += check_poison(p, poison_keys) if poison_keys else []
            problems += [f"{n} exited {c} after the final SIGTERM" for n, (c, _) in p.stop_services(GRACE_S).items()
                         if c != 0]
    except (RunStuck, AssertionError, OSError, RuntimeError) as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    result = RunResult(scenario, seed, not problems, time.monotonic() - t0, problems)
    return result, digest


def print_table(results: list[RunResult]) -> None:
    print(f"{'scenario':<16} {'runs':>4} {'seeds':<12} {'passed':>6} {'time':>8}")
    for name in dict.fromkeys(r.scenario for r in results):
        rows = [r for r in results if r.scenario == name]
        seeds = ",".join(str(r.seed) for r in rows)
        print(f"{name:<16} {len(rows):>4} {seeds:<12} {sum(r.passed for r in rows):>6} "
              f"{sum(r.seconds for r in rows):>7.0f}s")
    total = sum(r.passed for r in results)
    print(f"{'total':<16} {len(results):>4} {'':<12} {total:>6} {sum(r.seconds for r in results):>7.0f}s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3, help="runs per scenario, seeds 1..N")
    ap.add_argument("--items", type=int, default=300, help="archive items per run")
    ap.add_argument("--start", default="2021-08-01", help="first archive day (the fall of Kabul is in August)")
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="only these (repeatable)")
    ap.add_argument("--match", default=None, help="only items whose title or description this regex finds")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds over which the items are published")
    ap.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--timeout", type=float, default=300.0, help="longest wait for one run to go quiet")
    ap.add_argument("--log-level", default="WARNING", help="the services' WIREWATCH_LOG_LEVEL")
    ap.add_argument("--keep-logs", type=Path, default=None, help="copy each run's service logs to DIR/<scenario>-<seed>")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for chatty in ("kafka", "httpx"):  # the harness's own clients: their INFO lines bury the harness's
        logging.getLogger(chatty).setLevel(logging.WARNING)
    config = RunConfig(load_items(args.items, args.start, args.match), duration_s=args.duration, database=args.database,
                       keep_logs=args.keep_logs, extra_env={"WIREWATCH_LOG_LEVEL": args.log_level})
    reference_result, reference = run_once(config, "clean", 0, None, args.timeout)
    if reference is None or not reference_result.passed:
        print(f"the clean run failed: {reference_result.problems}")
        return 1
    print(f"clean run: {reference.reports} reports, {reference.events} events, {reference.links} links, "
          f"digest {reference.sha256[:16]} ({reference_result.seconds:.0f}s)")
    results = []
    for name in args.scenario or list(SCENARIOS):
        for seed in range(1, args.seeds + 1):
            result, _ = run_once(config, name, seed, reference, args.timeout)
            log.info("%s seed %d: %s %s", name, seed, "passed" if result.passed else "FAILED", result.problems)
            results.append(result)
    print_table(results)
    for r in results:
        for problem in r.problems:
            print(f"FAILED {r.scenario} seed {r.seed}: {problem[:2000]}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
