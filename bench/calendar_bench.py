"""Throughput of the working-day calendar's hot paths.

Run: .venv/bin/python bench/calendar_bench.py [--calls N]
Target: add_working_days >= 500,000 calls/s (random triggers in 2025-2030, n in 1..30).
"""

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from courts.calendar import WorkingCalendar


def _rate(label: str, calls: int, run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    rate = calls / elapsed
    print(f"{label:<24} {calls:>10,} calls in {elapsed:6.3f} s = {rate:>12,.0f} ops/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260213)
    args = parser.parse_args()

    started = time.perf_counter()
    cal = WorkingCalendar.shipped()
    print(f"calendar built in {time.perf_counter() - started:.3f} s ({cal!r})")

    rng = random.Random(args.seed)
    first, span = date(2025, 1, 1), (date(2030, 12, 31) - date(2025, 1, 1)).days
    triggers = [first + timedelta(days=rng.randrange(span + 1)) for _ in range(args.calls)]
    counts = [rng.randint(1, 30) for _ in range(args.calls)]
    ends = [t + timedelta(days=rng.randint(-60, 60)) for t in triggers]

    add = cal.add_working_days
    between = cal.working_days_between

    def run_add() -> None:
        for t, n in zip(triggers, counts, strict=True):
            add(t, n)

    def run_between() -> None:
        for s, e in zip(triggers, ends, strict=True):
            between(s, e)

    def run_loop_only() -> None:
        for _t, _n in zip(triggers, counts, strict=True):
            pass

    _rate("loop overhead", args.calls, run_loop_only)
    add_rate = _rate("add_working_days", args.calls, run_add)
    _rate("working_days_between", args.calls, run_between)
    verdict = "meets" if add_rate >= 500_000 else "MISSES"
    print(f"add_working_days {verdict} the 500,000 ops/s target")


if __name__ == "__main__":
    main()
