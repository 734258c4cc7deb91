"""Dutch date understanding and formatting.

Parsing is done by ``dateparser`` (Dutch, day-month-year order); this module
only decides *which* part of a message is handed to it, and cleans up what
dateparser cannot be trusted with in free text:

* Explicit dates ("3 november", "3e nov. 2026", "14-10-2026", "2026-10-14") are
  found first with one regular expression built from Babel's Dutch month names
  (wide and abbreviated).  Only the matched snippet goes to dateparser, so a
  case number such as "2024-0457" or an age ("ik ben 16") never becomes a date.
* Relative phrases ("gisteren", "eergisteren", "vandaag", "dinsdag",
  "3 dagen geleden") go through ``dateparser.search.search_dates`` on a capped
  slice of the text.  Its hits are filtered: dateparser also reads "nu", "zo"
  (zondag), "vr", "om 3 uur", "2-3" and a bare month name as dates, which in a
  chat message they almost never are.
* "vorige week dinsdag" (not understood by dateparser 1.2) is resolved by
  letting dateparser read "vorige week" and then taking the named weekday of
  that week.

Formatting uses Babel (locale ``nl``).
"""

from __future__ import annotations

import logging
import os
import re
from datetime import date, datetime, time, timedelta
from typing import Any

import dateparser
from babel.dates import format_date as _babel_format_date
from babel.dates import get_day_names, get_month_names
from dateparser.date import DateDataParser
from dateparser.search import search_dates

__all__ = [
    "find_birth_date_spans",
    "format_date",
    "parse_birth_date",
    "parse_date",
    "today",
]

logger = logging.getLogger(__name__)

LOCALE = "nl"
LANGUAGES = ["nl"]

#: At most this much of a message is scanned for explicit dates.
MAX_SCAN_CHARS = 5_000
#: At most this much of a message is given to dateparser's free-text search: its cost grows fast
#: with the length (about a second of CPU for 300 characters of "1 1 1 ..."), and it runs on every
#: message of a date question. A longer message is searched only in a window around the first
#: word that can start a relative date ("gisteren", "dinsdag", "geleden", ...).
MAX_SEARCH_CHARS = 80
#: Half the width of that window.
SEARCH_WINDOW_CHARS = 40
#: Oldest birth year accepted by :func:`parse_birth_date`.
MIN_BIRTH_YEAR = 1900


# Dutch month names from Babel's CLDR data, wide ("november") and abbreviated
# ("nov."), without the dot; longest first so that the regex prefers "juni" to "jun".
_MONTH_NAMES = sorted(
    {
        str(name).rstrip(".").lower()
        for width in ("wide", "abbreviated")
        for name in get_month_names(width, locale=LOCALE).values()
    },
    key=len,
    reverse=True,
)
_MONTH_ALT = "|".join(re.escape(name) for name in _MONTH_NAMES)
_WEEKDAYS = {name.lower(): index for index, name in get_day_names("wide", locale=LOCALE).items()}
_WEEKDAY_ALT = "|".join(re.escape(name) for name in _WEEKDAYS)

_DAY = r"0?[1-9]|[12]\d|3[01]"
_MONTH_NUM = r"0?[1-9]|1[0-2]"
# Not glued to a word, a number or a date-like separator on either side.
_START = r"(?<![\w./-])"
_END = r"(?![\w]|[./-]\d)"

_DATE_RE = re.compile(
    # 3 november / 3e nov. 2026 / 1ste januari
    rf"(?<!\w)(?P<tday>{_DAY})(?:ste|de|e)?\s+(?P<tmonth>{_MONTH_ALT})(?!\w)\.?"
    rf"(?:\s+(?P<tyear>\d{{4}})(?!\w))?"
    # 14-10-2026 / 14/10/2026 / 14.10.2026 / 14-10-26
    rf"|{_START}(?P<nday>{_DAY})(?P<sep>[-/.])(?P<nmonth>{_MONTH_NUM})(?P=sep)"
    rf"(?P<nyear>\d{{4}}|\d{{2}}){_END}"
    # 2026-10-14
    rf"|{_START}(?P<iyear>\d{{4}})-(?P<imonth>{_MONTH_NUM})-(?P<iday>{_DAY}){_END}",
    re.IGNORECASE,
)
# Other ways people type a birth date at the form's question: "2011/05/09", "9 5 2011",
# "09 05 2011", "2011 05 09", "09052011", "20110509", "9-mei-2011", "9 mei, 2011", "mei 9, 2011",
# "9 May 2011", "9 mei '11". Read without dateparser (every part is explicit); also used to find
# what to redact from stored messages.
_MONTH_NUMBERS: dict[str, int] = {}
for _locale in (LOCALE, "en"):
    for _width in ("wide", "abbreviated"):
        for _number, _name in get_month_names(_width, locale=_locale).items():
            _MONTH_NUMBERS.setdefault(str(_name).rstrip(".").lower(), _number)
_MONTH_NUMBERS.setdefault("sept", 9)
_ANY_MONTH_ALT = "|".join(re.escape(name) for name in sorted(_MONTH_NUMBERS, key=len, reverse=True))
_BIRTH_EXTRA_RE = re.compile(
    rf"(?<![\w/.-])(?:"
    rf"(?P<d1>\d{{1,2}})[ ./-]{{1,3}}(?P<m1>\d{{1,2}})[ ./-]{{1,3}}(?P<y1>\d{{4}})"
    rf"|(?P<y2>\d{{4}})[ ./-]{{1,3}}(?P<m2>\d{{1,2}})[ ./-]{{1,3}}(?P<d2>\d{{1,2}})"
    rf"|(?P<compact>\d{{8}})"
    rf"|(?P<d3>\d{{1,2}})(?:ste|de|e|th|st|nd|rd)?[ .,-]{{1,3}}(?P<m3>{_ANY_MONTH_ALT})\.?"
    rf"[ .,-]{{1,3}}(?P<y3>\d{{4}}|'\d{{2}})"
    rf"|(?P<m4>{_ANY_MONTH_ALT})\.?[ -](?P<d4>\d{{1,2}})(?:ste|de|e|th|st|nd|rd)?,?[ -](?P<y4>\d{{4}})"
    rf")(?![\w/-])",
    re.IGNORECASE,
)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _extra_birth_date(match: re.Match[str], today: date) -> date | None:
    """The date of a :data:`_BIRTH_EXTRA_RE` match, or None when it names no real day."""
    g = match.groupdict()
    if g["y1"]:
        return _safe_date(int(g["y1"]), int(g["m1"]), int(g["d1"]))
    if g["y2"]:
        return _safe_date(int(g["y2"]), int(g["m2"]), int(g["d2"]))
    if g["compact"]:
        digits = g["compact"]
        day_first = _safe_date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
        year_first = _safe_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        plausible = [d for d in (day_first, year_first) if d and MIN_BIRTH_YEAR <= d.year <= today.year]
        return plausible[0] if len(plausible) == 1 else None
    if g["m3"]:
        if g["y3"].startswith("'"):  # "9 mei '11": 1911 or 2011? Found (to redact), never read
            return None
        return _safe_date(int(g["y3"]), _MONTH_NUMBERS[g["m3"].lower()], int(g["d3"]))
    return _safe_date(int(g["y4"]), _MONTH_NUMBERS[g["m4"].lower()], int(g["d4"]))


_LAST_NEXT_WEEK_RE = re.compile(
    rf"(?<!\w)(?P<week>vorige|volgende)\s+week\s+(?P<day>{_WEEKDAY_ALT})(?!\w)"
    rf"|(?<!\w)(?P<day2>{_WEEKDAY_ALT})\s+(?:van\s+)?(?P<week2>vorige|volgende)\s+week(?!\w)",
    re.IGNORECASE,
)
_TAG_RE = re.compile(r"<[^>]{0,200}>")
_LONG_WORD_RE = re.compile(r"[^\W\d_]{5,}")

_BASE_SETTINGS: dict[str, Any] = {"DATE_ORDER": "DMY"}

#: Environment variable that fixes "today" (YYYY-MM-DD) for tests and demos.
TODAY_ENV = "WEGWIJZER_TODAY"


def today() -> date:
    """Today's date, or the date in ``WEGWIJZER_TODAY`` (YYYY-MM-DD) when that is set.

    The one place where the bot's notion of "today" can be fixed, so that tests and
    demos of deadlines ("nog 22 dagen") give the same answer on every day.  A value
    that is not an ISO date is ignored with a warning.
    """
    fixed = os.environ.get(TODAY_ENV, "").strip()
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError:
            logger.warning("%s=%r is not a date (YYYY-MM-DD); using the real date", TODAY_ENV, fixed)
    return date.today()


def _base_datetime(today: date) -> datetime:
    # Noon, so that "3 uur geleden" and the like stay on the same day.
    return datetime.combine(today, time(12, 0))


def _with_year(month: int, day: int, today: date, prefer: str) -> date | None:
    """The most recent (past) or the next (future) `day month` relative to today."""
    step = -1 if prefer == "past" else 1
    year = today.year
    for _ in range(9):  # 29 February needs at most 8 years
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and (
            (prefer == "past" and candidate <= today) or (prefer == "future" and candidate >= today)
        ):
            return candidate
        year += step
    return None


def _date_from_match(match: re.Match[str], today: date, prefer: str) -> date | None:
    """Let dateparser read one explicit date found by :data:`_DATE_RE`."""
    groups = match.groupdict()
    if groups["iyear"]:
        parsed = dateparser.parse(
            match.group(0), languages=LANGUAGES, date_formats=["%Y-%m-%d"], settings=_BASE_SETTINGS
        )
        expected = (int(groups["iday"]), int(groups["imonth"]))
    elif groups["nyear"]:
        parsed = dateparser.parse(match.group(0), languages=LANGUAGES, settings=_BASE_SETTINGS)
        expected = (int(groups["nday"]), int(groups["nmonth"]))
    else:
        day, year = int(groups["tday"]), groups["tyear"]
        settings = dict(_BASE_SETTINGS)
        if not year:
            # A leap year as base, so that "29 februari" is understood; the
            # year is chosen by _with_year.
            settings["RELATIVE_BASE"] = datetime(2000, 1, 1)
        snippet = f"{day} {groups['tmonth']} {year or ''}".strip()
        parsed = dateparser.parse(snippet, languages=LANGUAGES, settings=settings)
        if parsed is None or parsed.day != day:
            return None
        if not year:
            return _with_year(parsed.month, parsed.day, today, prefer)
        return parsed.date()
    if parsed is None or (parsed.day, parsed.month) != expected:
        return None
    return parsed.date()


def _last_or_next_week_day(text: str, today: date) -> date | None:
    """ "vorige week dinsdag" / "dinsdag volgende week": that weekday in that week."""
    match = _LAST_NEXT_WEEK_RE.search(text)
    if match is None:
        return None
    week_phrase = f"{match.group('week') or match.group('week2')} week".lower()
    weekday = _WEEKDAYS[(match.group("day") or match.group("day2")).lower()]
    settings = dict(_BASE_SETTINGS, RELATIVE_BASE=_base_datetime(today))
    in_that_week = dateparser.parse(week_phrase, languages=LANGUAGES, settings=settings)
    if in_that_week is None:
        return None
    monday = in_that_week.date() - timedelta(days=in_that_week.weekday())
    return monday + timedelta(days=weekday)


_PERIOD_PARSER = DateDataParser(languages=LANGUAGES, settings=_BASE_SETTINGS)


def _is_day_phrase(snippet: str) -> bool:
    """Whether a search_dates hit names one day ("gisteren", "dinsdag", "3 dagen geleden").

    Rejected: hits without a word of five letters or more ("nu", "zo", "vr",
    "om 3 uur", "2-3", "1/2") and hits that name a week, month or year.
    """
    if not _LONG_WORD_RE.search(snippet):
        return False
    return _PERIOD_PARSER.get_date_data(snippet).period == "day"


_RELATIVE_WORD_RE = re.compile(
    rf"(?<!\w)(?:{_WEEKDAY_ALT}|gisteren|eergisteren|vandaag|morgen|overmorgen|geleden|vorige"
    r"|afgelopen|vorig|volgende|komende|vanochtend|vanmorgen|vanmiddag|gister)(?!\w)",
    re.IGNORECASE,
)


def _search_slice(text: str) -> str:
    """What dateparser's free-text search gets: a short text whole, else a window or nothing."""
    if len(text) <= MAX_SEARCH_CHARS:
        return text
    match = _RELATIVE_WORD_RE.search(text)
    if match is None:
        return ""
    start = max(0, match.start() - SEARCH_WINDOW_CHARS)
    return text[start : match.end() + SEARCH_WINDOW_CHARS]


def _relative_date(text: str, today: date, prefer: str) -> date | None:
    found = _last_or_next_week_day(text, today)
    if found is not None:
        return found
    cleaned = _search_slice(_TAG_RE.sub(" ", text[:MAX_SCAN_CHARS]))
    if not cleaned:
        return None
    settings = dict(
        _BASE_SETTINGS, RELATIVE_BASE=_base_datetime(today), PREFER_DATES_FROM=prefer
    )
    hits = search_dates(cleaned, languages=LANGUAGES, settings=settings) or []
    for snippet, when in hits:
        if _is_day_phrase(snippet):
            return when.date()
    return None


def parse_date(text: str, today: date | None = None, prefer: str = "past") -> date | None:
    """The first date mentioned in a Dutch message, or None.

    A day and month without a year mean the most recent such date on or before
    ``today`` when ``prefer="past"``, the next one on or after it when
    ``prefer="future"``.  Never raises on odd text; raises ValueError only for
    a ``prefer`` other than "past" or "future".
    """
    if prefer not in ("past", "future"):
        raise ValueError(f"prefer must be 'past' or 'future', not {prefer!r}")
    if not isinstance(text, str) or not text.strip():
        return None
    today = today or date.today()
    text = text[:MAX_SCAN_CHARS]
    try:
        for match in _DATE_RE.finditer(text):
            found = _date_from_match(match, today, prefer)
            if found is not None:
                return found
        return _relative_date(text, today, prefer)
    except Exception:  # dateparser on hostile input: no date rather than a crash
        return None


def parse_birth_date(text: str, *, today: date | None = None) -> date | None:
    """A birth date typed in a form ("9 mei 2011", "09-05-2011", "2011-05-09"), or None.

    Also "2011/05/09", "9 5 2011", "09052011", "20110509", "9-mei-2011", "mei 9, 2011",
    "9 May 2011" and "9 mei '11". Strict: the whole input must be one date with its year; impossible
    dates, dates after ``today`` and years before 1900 are rejected.
    """
    if not isinstance(text, str):
        return None
    today = today or date.today()
    answer = text.strip()[:40]
    match = _DATE_RE.fullmatch(answer)
    if match is None:
        extra = _BIRTH_EXTRA_RE.fullmatch(answer)
        found = _extra_birth_date(extra, today) if extra is not None else None
    else:
        year = match.group("tyear") or match.group("nyear") or match.group("iyear")
        if year is None or len(year) != 4:
            return None
        try:
            found = _date_from_match(match, today, "past")
        except Exception:
            return None
    if found is None or found.year < MIN_BIRTH_YEAR or found > today:
        return None
    return found


def find_birth_date_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of everything in ``text`` that looks like a date.

    Used to redact birth dates from stored messages, so it errs on the side of
    matching: it does not check that the date exists (except for eight digits in a row, which
    count only when they are a real day).  The whole text is scanned.
    """
    if not isinstance(text, str):
        return []
    scanned = text
    spans = [match.span() for match in _DATE_RE.finditer(scanned)]
    today_ = date.today()
    for match in _BIRTH_EXTRA_RE.finditer(scanned):
        if match.group("compact") and _extra_birth_date(match, today_) is None:
            continue
        spans.append(match.span())
    return _merge_spans(spans)


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def format_date(d: date) -> str:
    """A date in Dutch, e.g. "dinsdag 15 december 2026"."""
    return _babel_format_date(d, format="EEEE d MMMM y", locale=LOCALE)
