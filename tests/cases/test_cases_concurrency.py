"""Concurrent lookups: the right case for each, and an exact lockout under contention."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from typing import Callable

import pytest
from sqlalchemy.engine import Engine

from bot.cases.importer import demo_payload, import_demo_cases
from bot.cases.repository import LookupResult, lookup_case

BIRTH = {case["case_number"]: date.fromisoformat(case["birth_date"]) for case in demo_payload()["cases"]}

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
WRONG = date(2000, 1, 1)


def _run_together(count: int, job: Callable[[int], LookupResult]) -> list[LookupResult]:
    """Run ``job(i)`` in ``count`` threads that start at the same moment."""
    barrier = threading.Barrier(count)

    def start(index: int) -> LookupResult:
        barrier.wait(timeout=60)
        return job(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_fifty_concurrent_lookups_each_get_their_own_case(pg_engine: Engine) -> None:
    assert import_demo_cases(pg_engine).inserted == 8
    numbers = sorted(BIRTH)

    def job(index: int) -> LookupResult:
        number = numbers[index % len(numbers)]
        return lookup_case(pg_engine, number.lower(), BIRTH[number], f"conversation-{index}", now=NOW)

    results = _run_together(50, job)
    for index, result in enumerate(results):
        expected = numbers[index % len(numbers)]
        assert result.status == "found", (index, result)
        assert result.case is not None and result.case.case_number == expected


@pytest.mark.parametrize("shared", ["case_number", "conversation"])
def test_concurrent_wrong_guesses_are_counted_exactly(engine: Engine, shared: str) -> None:
    """Twelve simultaneous wrong guesses at one subject: exactly three are evaluated."""
    assert import_demo_cases(engine).inserted == 8

    def job(index: int) -> LookupResult:
        if shared == "case_number":
            return lookup_case(engine, "DEMO-1005", WRONG, f"guesser-{index}", now=NOW)
        return lookup_case(engine, f"GUES-{index:04d}", WRONG, "one-conversation", now=NOW)

    statuses = Counter(result.status for result in _run_together(12, job))
    assert statuses == {"no_match": 3, "locked": 9}
    if shared == "case_number":
        assert lookup_case(engine, "DEMO-1005", BIRTH["DEMO-1005"], "owner", now=NOW).locked
    else:
        assert lookup_case(engine, "DEMO-1001", BIRTH["DEMO-1001"], "one-conversation", now=NOW).locked
