"""Tests for bot.dates: Dutch date phrases, birth dates, redaction spans, formatting.

``TODAY`` is Monday 23 November 2026; expected dates were worked out by hand.
"""

from __future__ import annotations

import time
from datetime import date

import pytest
from babel.dates import get_month_names

from bot.dates import find_birth_date_spans, format_date, parse_birth_date, parse_date

D = date
TODAY = D(2026, 11, 23)  # a Monday

# text, prefer, expected
PHRASES = [
    ("3 november", "past", D(2026, 11, 3)),
    ("3 november", "future", D(2027, 11, 3)),
    ("de brief is van 3 november", "past", D(2026, 11, 3)),
    ("Het besluit is op 3 November verstuurd.", "past", D(2026, 11, 3)),
    ("gisteren", "past", D(2026, 11, 22)),
    ("Ik kreeg gisteren een brief", "past", D(2026, 11, 22)),
    ("eergisteren", "past", D(2026, 11, 21)),
    ("vandaag", "past", D(2026, 11, 23)),
    ("vandaag", "future", D(2026, 11, 23)),
    ("morgen", "future", D(2026, 11, 24)),
    ("3 dagen geleden", "past", D(2026, 11, 20)),
    ("vorige week dinsdag", "past", D(2026, 11, 17)),
    ("dinsdag vorige week", "past", D(2026, 11, 17)),
    ("volgende week dinsdag", "future", D(2026, 12, 1)),
    ("dinsdag", "past", D(2026, 11, 17)),
    ("dinsdag", "future", D(2026, 11, 24)),
    ("14-10-2026", "past", D(2026, 10, 14)),
    ("14/10/2026", "past", D(2026, 10, 14)),
    ("14.10.2026", "past", D(2026, 10, 14)),
    ("2026-10-14", "past", D(2026, 10, 14)),
    ("op 2026-10-14 verstuurd", "past", D(2026, 10, 14)),
    ("3-11-2026", "past", D(2026, 11, 3)),
    ("3 nov. 2026", "past", D(2026, 11, 3)),
    ("3 nov 2026", "past", D(2026, 11, 3)),
    ("op 3 nov. heb ik de brief gekregen", "past", D(2026, 11, 3)),
    ("3e november", "past", D(2026, 11, 3)),
    ("1ste januari", "past", D(2026, 1, 1)),
    ("de 2de december", "past", D(2025, 12, 2)),
    ("3 december", "past", D(2025, 12, 3)),
    ("3 december", "future", D(2026, 12, 3)),
    ("3 mrt", "past", D(2026, 3, 3)),
    ("23 november", "past", D(2026, 11, 23)),  # today counts as "on or before"
    ("23 november", "future", D(2026, 11, 23)),
    ("24 november", "past", D(2025, 11, 24)),
    ("22 november", "future", D(2027, 11, 22)),
    ("29 februari", "past", D(2024, 2, 29)),
    ("29 februari", "future", D(2028, 2, 29)),
    ("3 november 2027", "past", D(2027, 11, 3)),  # an explicit year is kept
    ("zondag 1 november", "past", D(2026, 11, 1)),
    ("zaak 2024-0457, de brief is van 3 november", "past", D(2026, 11, 3)),
    ("gisteren kreeg ik de brief van 3 november", "past", D(2026, 11, 3)),  # explicit wins
    ("<p>de brief is van <b>3 november</b></p>", "past", D(2026, 11, 3)),
    ("😀 3 november 😀", "past", D(2026, 11, 3)),
    ("de brief is van 3 november " + "x" * 10_000, "past", D(2026, 11, 3)),
]


@pytest.mark.parametrize(("text", "prefer", "expected"), PHRASES)
def test_parse_date(text: str, prefer: str, expected: date) -> None:
    assert parse_date(text, today=TODAY, prefer=prefer) == expected


NON_DATES = [
    "2024-0457",
    "zaak 2024-0457",
    "WMO-2024-0457",
    "ik ben 16",
    "16",
    "mijn zoon is 12 jaar",
    "ik wacht al 8 weken",
    "ik wil nu bezwaar maken",  # dateparser reads "nu" as now
    "zo snel mogelijk",  # ... and "zo" as zondag
    "ik bel om 3 uur",
    "2-3 keer per week",
    "score 1/2",
    "versie 1.2.3",
    "10.000 euro",
    "06-12345678",
    "06-12-34-56-78",
    "mei",  # a month is no day
    "in december",
    "vorige week",
    "vorige maand",
    "over 2 weken",
    "31-02-2026",
    "31 februari",
    "30-13-2026",
    "99-99-9999",
    "Goedemorgen, ik heb een vraag over de Wmo",
    "hallo",
    "Jan belde",
]


@pytest.mark.parametrize("text", NON_DATES)
def test_parse_date_non_dates(text: str) -> None:
    assert parse_date(text, today=TODAY) is None


HOSTILE = [
    "",
    "   ",
    "\n\t",
    "\x00\x01\x02",
    "x" * 10_000,
    "1" * 10_000,
    "-/." * 3_000,
    "3 " * 5_000,
    "😀" * 5_000,
    "'; DROP TABLE cases;--",
    "1 OR 1=1; --",
    "<script>alert(1)</script>",
    "<" * 5_000,
    "%s%s%s%n",
    "{{7*7}}",
    "\u202e\u200b\ufeff",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: repr(text[:20]))
def test_parse_date_hostile_input(text: str) -> None:
    started = time.monotonic()
    assert parse_date(text, today=TODAY) is None
    assert parse_date(text, today=TODAY, prefer="future") is None
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("value", [None, 20261103, b"3 november", ["3 november"]])
def test_parse_date_not_a_string(value: object) -> None:
    assert parse_date(value, today=TODAY) is None  # type: ignore[arg-type]


def test_parse_date_defaults_to_today() -> None:
    assert parse_date("vandaag") == date.today()


def test_parse_date_bad_prefer() -> None:
    with pytest.raises(ValueError):
        parse_date("3 november", today=TODAY, prefer="soon")


# --- birth dates --------------------------------------------------------------

BIRTH_DATES = [
    ("9 mei 2011", D(2011, 5, 9)),
    ("9 Mei 2011", D(2011, 5, 9)),
    ("09-05-2011", D(2011, 5, 9)),
    ("9-5-2011", D(2011, 5, 9)),
    ("09/05/2011", D(2011, 5, 9)),
    ("09.05.2011", D(2011, 5, 9)),
    ("2011-05-09", D(2011, 5, 9)),
    ("  9 mei 2011 ", D(2011, 5, 9)),
    ("29-02-2012", D(2012, 2, 29)),
    ("1 januari 1900", D(1900, 1, 1)),
    ("23-11-2026", D(2026, 11, 23)),  # born today
]


@pytest.mark.parametrize(("text", "expected"), BIRTH_DATES)
def test_parse_birth_date(text: str, expected: date) -> None:
    assert parse_birth_date(text, today=TODAY) == expected


NOT_BIRTH_DATES = [
    "31-02-2011",  # impossible
    "29-02-2011",  # 2011 is no leap year
    "31 april 2011",
    "24-11-2026",  # tomorrow
    "9 mei 2030",
    "31-12-1899",
    "1 januari 1899",
    "9 mei",  # no year
    "09-05-11",  # two-digit year
    "9 mei '11",
    "geboren op 9 mei 2011",  # strict: only the date
    "2011-05-09 2012-01-01",
    "2024-0457",
    "9",
    "",
    "abc",
    "x" * 10_000,
]


@pytest.mark.parametrize("text", NOT_BIRTH_DATES, ids=lambda text: repr(text[:20]))
def test_parse_birth_date_rejects(text: str) -> None:
    assert parse_birth_date(text, today=TODAY) is None


def test_parse_birth_date_not_a_string() -> None:
    assert parse_birth_date(None) is None  # type: ignore[arg-type]


# --- redaction spans ----------------------------------------------------------

SPANS = [
    ("Geboren op 9 mei 2011.", ["9 mei 2011"]),
    ("geb. 09-05-2011, zaak 2024-0457", ["09-05-2011"]),
    ("2011-05-09", ["2011-05-09"]),
    ("09.05.2011 en 09/05/2011", ["09.05.2011", "09/05/2011"]),
    ("3e nov. 2026 of 14/10/2026", ["3e nov. 2026", "14/10/2026"]),
    ("<td>9 MEI 2011</td>", ["9 MEI 2011"]),
    ("mijn dochter is van 9 mei", ["9 mei"]),
    ("09-05-11", ["09-05-11"]),
    ("tel 06-12345678", []),
    ("zaak WMO-2024-0457", []),
    ("ik ben 16 en woon in Utrecht", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), SPANS)
def test_find_birth_date_spans(text: str, expected: list[str]) -> None:
    assert [text[start:end] for start, end in find_birth_date_spans(text)] == expected


@pytest.mark.parametrize(
    "month",
    sorted(
        {
            str(name).rstrip(".")
            for width in ("wide", "abbreviated")
            for name in get_month_names(width, locale="nl").values()
        }
    ),
)
def test_spans_know_every_babel_month_name(month: str) -> None:
    text = f"geboren 7 {month} 2012, graag"
    assert [text[a:b] for a, b in find_birth_date_spans(text)] == [f"7 {month} 2012"]


def test_spans_scan_the_whole_text() -> None:
    text = "x " * 20_000 + "9 mei 2011"
    assert find_birth_date_spans(text) == [(40_000, 40_010)]


# --- formatting ---------------------------------------------------------------

FORMATTED = [
    (D(2026, 12, 15), "dinsdag 15 december 2026"),
    (D(2026, 4, 3), "vrijdag 3 april 2026"),
    (D(2028, 2, 29), "dinsdag 29 februari 2028"),
    (D(2027, 1, 4), "maandag 4 januari 2027"),
    (D(2026, 11, 1), "zondag 1 november 2026"),
]


@pytest.mark.parametrize(("day", "expected"), FORMATTED)
def test_format_date(day: date, expected: str) -> None:
    assert format_date(day) == expected
