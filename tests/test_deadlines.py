"""Tests for bot.deadlines: terms, Algemene termijnenwet holidays and deadlines.

Every expected date below was worked out by hand from a calendar (Easter:
2025-04-20, 2026-04-05, 2027-03-28, 2028-04-16), not with the code under test.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.deadlines import (
    TERMS,
    atw_holiday_name,
    atw_holidays,
    compute_deadline,
    is_atw_working_day,
    next_atw_working_day,
)

D = date


# key, weeks, days, legal source
TERM_TABLE = [
    ("bezwaar", 6, 0, "Awb art. 6:7 en 6:8"),
    ("wmo_onderzoek", 6, 0, "Wmo 2015 art. 2.3.2 lid 1"),
    ("wmo_persoonlijk_plan", 0, 7, "Wmo 2015 art. 2.3.2 lid 2"),
    ("wmo_beschikking", 2, 0, "Wmo 2015 art. 2.3.5 lid 1"),
    ("awb_beslistermijn", 8, 0, "Awb art. 4:13"),
    ("ciz", 6, 0, "Wlz; beslistermijn van het CIZ"),
    ("beslissing_op_bezwaar", 6, 0, "Awb art. 7:10 lid 1"),
    ("beslissing_op_bezwaar_commissie", 12, 0, "Awb art. 7:10 lid 1"),
    ("beroep", 6, 0, "Awb art. 6:7 en 6:8"),
    ("ingebrekestelling", 2, 0, "Awb art. 4:17 en 6:12"),
]


def test_registry_has_exactly_the_contract_terms() -> None:
    assert set(TERMS) == {row[0] for row in TERM_TABLE}


@pytest.mark.parametrize(("key", "weeks", "days", "source"), TERM_TABLE)
def test_term(key: str, weeks: int, days: int, source: str) -> None:
    term = TERMS[key]
    assert term.key == key
    assert (term.weeks, term.days) == (weeks, days)
    assert term.source == source
    assert term.name and term.description.endswith(".")
    length = f"{weeks} weken" if weeks else f"{days} dagen"
    assert term.length_text == length
    assert length in term.description


def test_terms_are_frozen() -> None:
    with pytest.raises(AttributeError):
        TERMS["bezwaar"].weeks = 8  # type: ignore[misc]


# --- Atw holidays -----------------------------------------------------------

HOLIDAY_TABLE = [
    (D(2026, 1, 1), "Nieuwjaarsdag"),
    (D(2026, 4, 3), "Goede Vrijdag"),
    (D(2026, 4, 6), "Tweede Paasdag"),
    (D(2026, 4, 27), "Koningsdag"),
    (D(2026, 5, 5), "Bevrijdingsdag"),  # not a lustrum year: still an Atw holiday
    (D(2026, 5, 14), "Hemelvaartsdag"),
    (D(2026, 5, 25), "Tweede Pinksterdag"),
    (D(2026, 12, 25), "Eerste Kerstdag"),
    (D(2026, 12, 26), "Tweede Kerstdag"),
    (D(2025, 4, 18), "Goede Vrijdag"),
    (D(2025, 4, 21), "Tweede Paasdag"),
    (D(2025, 4, 26), "Koningsdag"),  # 27 April 2025 is a Sunday
    (D(2025, 5, 5), "Bevrijdingsdag"),  # lustrum year
    (D(2025, 5, 29), "Hemelvaartsdag"),
    (D(2025, 6, 9), "Tweede Pinksterdag"),
    (D(2027, 1, 1), "Nieuwjaarsdag"),
    (D(2027, 3, 26), "Goede Vrijdag"),
    (D(2027, 3, 29), "Tweede Paasdag"),
    (D(2027, 4, 27), "Koningsdag"),
    (D(2027, 5, 5), "Bevrijdingsdag"),
    (D(2027, 5, 6), "Hemelvaartsdag"),
    (D(2027, 5, 17), "Tweede Pinksterdag"),
    (D(2028, 4, 14), "Goede Vrijdag"),
    (D(2028, 4, 17), "Tweede Paasdag"),
    (D(2028, 5, 25), "Hemelvaartsdag"),
    (D(2028, 6, 5), "Tweede Pinksterdag"),
    (D(2014, 4, 26), "Koningsdag"),  # 27 April 2014 is a Sunday
    (D(2010, 4, 30), "Koninginnedag"),
    (D(2016, 5, 5), "Hemelvaartsdag"),  # Hemelvaart on 5 mei: one day, one name
]


@pytest.mark.parametrize(("day", "name"), HOLIDAY_TABLE)
def test_atw_holiday(day: date, name: str) -> None:
    assert atw_holiday_name(day) == name
    assert not is_atw_working_day(day)


NOT_HOLIDAYS = [
    D(2025, 4, 27),  # Sunday 27 April: Koningsdag moved to the 26th
    D(2026, 4, 5),  # Eerste Paasdag: a Sunday, not an Atw holiday itself
    D(2026, 5, 24),  # Eerste Pinksterdag: idem
    D(2026, 5, 4),  # Dodenherdenking
    D(2026, 5, 15),  # Friday after Hemelvaart: only by Koninklijk Besluit (art. 3 lid 3)
    D(2026, 12, 24),
    D(2026, 12, 31),
    D(2026, 4, 2),  # Witte Donderdag
    D(2026, 11, 11),
]


@pytest.mark.parametrize("day", NOT_HOLIDAYS)
def test_not_an_atw_holiday(day: date) -> None:
    assert atw_holiday_name(day) is None


@pytest.mark.parametrize("year", [2016, 2024, 2025, 2026, 2027, 2028, 2031])
def test_atw_list_has_nine_days_or_fewer_when_two_coincide(year: int) -> None:
    days = atw_holidays(year)
    assert set(days.values()) <= {
        "Nieuwjaarsdag", "Goede Vrijdag", "Tweede Paasdag", "Koningsdag", "Bevrijdingsdag",
        "Hemelvaartsdag", "Tweede Pinksterdag", "Eerste Kerstdag", "Tweede Kerstdag",
    }
    assert len(days) == (8 if year == 2016 else 9)
    assert all(day.year == year for day in days)


WORKING_DAY_TABLE = [
    (D(2026, 12, 15), D(2026, 12, 15)),  # Tuesday: itself
    (D(2026, 11, 21), D(2026, 11, 23)),  # Saturday
    (D(2026, 11, 22), D(2026, 11, 23)),  # Sunday
    (D(2026, 4, 3), D(2026, 4, 7)),  # Goede Vrijdag, weekend, Tweede Paasdag
    (D(2026, 12, 25), D(2026, 12, 28)),  # Kerst on Fri+Sat, then Sunday
    (D(2027, 1, 1), D(2027, 1, 4)),  # Nieuwjaarsdag on a Friday
    (D(2027, 5, 5), D(2027, 5, 7)),  # 5 mei, then Hemelvaartsdag
]


@pytest.mark.parametrize(("day", "expected"), WORKING_DAY_TABLE)
def test_next_atw_working_day(day: date, expected: date) -> None:
    assert next_atw_working_day(day) == expected


# --- Deadlines ----------------------------------------------------------------

# term, start, weeks override, nominal end, legal last day, why extended
DEADLINE_TABLE = [
    # The example: sent Tuesday 3 Nov 2026, last day Tuesday 15 Dec 2026.
    ("bezwaar", D(2026, 11, 3), None, D(2026, 12, 15), D(2026, 12, 15), None),
    # Every term on an ordinary working day.
    ("wmo_onderzoek", D(2026, 3, 2), None, D(2026, 4, 13), D(2026, 4, 13), None),
    ("wmo_persoonlijk_plan", D(2026, 11, 10), None, D(2026, 11, 17), D(2026, 11, 17), None),
    ("wmo_beschikking", D(2026, 11, 10), None, D(2026, 11, 24), D(2026, 11, 24), None),
    ("awb_beslistermijn", D(2026, 9, 1), None, D(2026, 10, 27), D(2026, 10, 27), None),
    ("awb_beslistermijn", D(2026, 9, 1), 12, D(2026, 11, 24), D(2026, 11, 24), None),
    ("ciz", D(2026, 6, 1), None, D(2026, 7, 13), D(2026, 7, 13), None),
    ("beslissing_op_bezwaar", D(2026, 12, 15), None, D(2027, 1, 26), D(2027, 1, 26), None),
    ("beslissing_op_bezwaar_commissie", D(2026, 12, 15), None, D(2027, 3, 9), D(2027, 3, 9),
     None),
    ("beroep", D(2027, 1, 26), None, D(2027, 3, 9), D(2027, 3, 9), None),
    ("ingebrekestelling", D(2026, 11, 23), None, D(2026, 12, 7), D(2026, 12, 7), None),
    # Saturday and Sunday.
    ("bezwaar", D(2026, 10, 3), None, D(2026, 11, 14), D(2026, 11, 16), "zaterdag"),
    ("wmo_persoonlijk_plan", D(2026, 11, 14), None, D(2026, 11, 21), D(2026, 11, 23),
     "zaterdag"),
    ("wmo_onderzoek", D(2026, 11, 1), None, D(2026, 12, 13), D(2026, 12, 14), "zondag"),
    ("wmo_persoonlijk_plan", D(2025, 4, 20), None, D(2025, 4, 27), D(2025, 4, 28), "zondag"),
    # Every Atw holiday.
    ("bezwaar", D(2026, 2, 20), None, D(2026, 4, 3), D(2026, 4, 7), "Goede Vrijdag"),
    ("bezwaar", D(2028, 3, 3), None, D(2028, 4, 14), D(2028, 4, 18), "Goede Vrijdag"),
    ("bezwaar", D(2026, 2, 23), None, D(2026, 4, 6), D(2026, 4, 7), "Tweede Paasdag"),
    ("bezwaar", D(2026, 3, 16), None, D(2026, 4, 27), D(2026, 4, 28), "Koningsdag"),
    ("bezwaar", D(2025, 3, 15), None, D(2025, 4, 26), D(2025, 4, 28), "Koningsdag"),
    ("bezwaar", D(2026, 3, 24), None, D(2026, 5, 5), D(2026, 5, 6), "Bevrijdingsdag"),
    ("bezwaar", D(2027, 3, 24), None, D(2027, 5, 5), D(2027, 5, 7), "Bevrijdingsdag"),
    ("bezwaar", D(2026, 4, 2), None, D(2026, 5, 14), D(2026, 5, 15), "Hemelvaartsdag"),
    ("bezwaar", D(2026, 4, 13), None, D(2026, 5, 25), D(2026, 5, 26), "Tweede Pinksterdag"),
    ("bezwaar", D(2026, 11, 13), None, D(2026, 12, 25), D(2026, 12, 28), "Eerste Kerstdag"),
    ("bezwaar", D(2025, 11, 14), None, D(2025, 12, 26), D(2025, 12, 29), "Tweede Kerstdag"),
    ("wmo_persoonlijk_plan", D(2026, 12, 19), None, D(2026, 12, 26), D(2026, 12, 28),
     "Tweede Kerstdag"),
    ("wmo_beschikking", D(2027, 12, 11), None, D(2027, 12, 25), D(2027, 12, 27),
     "Eerste Kerstdag"),
    # Year ends.
    ("bezwaar", D(2025, 11, 20), None, D(2026, 1, 1), D(2026, 1, 2), "Nieuwjaarsdag"),
    ("bezwaar", D(2026, 11, 20), None, D(2027, 1, 1), D(2027, 1, 4), "Nieuwjaarsdag"),
    ("bezwaar", D(2026, 11, 19), None, D(2026, 12, 31), D(2026, 12, 31), None),
    # Leap years.
    ("bezwaar", D(2028, 1, 18), None, D(2028, 2, 29), D(2028, 2, 29), None),
    ("bezwaar", D(2028, 2, 29), None, D(2028, 4, 11), D(2028, 4, 11), None),
    ("bezwaar", D(2027, 1, 18), None, D(2027, 3, 1), D(2027, 3, 1), None),
    ("wmo_beschikking", D(2028, 2, 15), None, D(2028, 2, 29), D(2028, 2, 29), None),
]


@pytest.mark.parametrize(
    ("key", "start", "weeks", "nominal_end", "last_day", "because"), DEADLINE_TABLE
)
def test_compute_deadline(
    key: str,
    start: date,
    weeks: int | None,
    nominal_end: date,
    last_day: date,
    because: str | None,
) -> None:
    deadline = compute_deadline(key, start, weeks=weeks)
    assert deadline.term.key == key
    assert deadline.start == start
    assert deadline.nominal_end == nominal_end
    assert deadline.date == last_day
    assert deadline.extended_because == because
    assert deadline.extended == (last_day != nominal_end)


def test_weeks_override_changes_length_and_description() -> None:
    deadline = compute_deadline("awb_beslistermijn", D(2026, 9, 1), weeks=12)
    assert deadline.term.weeks == 12
    assert "12 weken" in deadline.term.description
    assert TERMS["awb_beslistermijn"].weeks == 8  # the registry is untouched


DAYS_LEFT_TABLE = [
    (D(2026, 11, 23), 22, False),
    (D(2026, 12, 14), 1, False),
    (D(2026, 12, 15), 0, False),  # the last day itself still counts
    (D(2026, 12, 16), -1, True),
    (D(2027, 1, 15), -31, True),
]


@pytest.mark.parametrize(("today", "days_left", "overdue"), DAYS_LEFT_TABLE)
def test_days_left_and_overdue(today: date, days_left: int, overdue: bool) -> None:
    deadline = compute_deadline("bezwaar", D(2026, 11, 3))
    assert deadline.days_left(today) == days_left
    assert deadline.is_overdue(today) is overdue


def test_deadline_is_frozen() -> None:
    deadline = compute_deadline("bezwaar", D(2026, 11, 3))
    with pytest.raises(AttributeError):
        deadline.date = D(2030, 1, 1)  # type: ignore[misc]


def test_unknown_term() -> None:
    with pytest.raises(KeyError, match="unknown term"):
        compute_deadline("bezwaartermijn", D(2026, 11, 3))


@pytest.mark.parametrize("weeks", [0, -6, True, 1.5, "6"])
def test_bad_weeks_override(weeks: object) -> None:
    with pytest.raises(ValueError):
        compute_deadline("awb_beslistermijn", D(2026, 11, 3), weeks=weeks)  # type: ignore[arg-type]


def test_every_start_date_gives_a_legal_last_day() -> None:
    """Invariants over ten years of start dates, for every term."""
    start = D(2024, 1, 1)
    while start < D(2034, 1, 1):
        for key in TERMS:
            deadline = compute_deadline(key, start)
            assert deadline.nominal_end == start + TERMS[key].length
            assert is_atw_working_day(deadline.date)
            assert deadline.date >= deadline.nominal_end
            assert (deadline.date - deadline.nominal_end).days <= 4
            gap = deadline.nominal_end
            while gap < deadline.date:
                assert not is_atw_working_day(gap)
                gap += timedelta(days=1)
            assert (deadline.extended_because is None) == (deadline.date == deadline.nominal_end)
        start += timedelta(days=1)
