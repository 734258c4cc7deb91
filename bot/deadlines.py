"""Legal deadlines: the one place where Wegwijzer computes them (design contract 4).

A term runs from a start date (the day a decision was sent, the day of the
melding or the aanvraag, ...).  Its nominal end is the start date plus the
length of the term: a term of 6 weeks that starts the day after a decision was
sent on Tuesday 3 November 2026 ends on Tuesday 15 December 2026 (Awb 6:8,
FACTS D7).  Then the Algemene termijnenwet applies (FACTS D8): a term that
ends on a Saturday, Sunday or recognised holiday runs on to the next day that
is none of these.

What the start date is, per term: the day the decision was sent (``bezwaar``,
``beroep``: the term starts the day after, so the last day is the same weekday
6 weeks later), the day of the melding (``wmo_onderzoek``,
``wmo_persoonlijk_plan``), the day the (complete) aanvraag was received
(``wmo_beschikking``, ``awb_beslistermijn``, ``ciz``), the last day of the
bezwaartermijn (``beslissing_op_bezwaar``, ``..._commissie``: Awb 7:10 counts
from the day after it), and the day the ingebrekestelling was received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from babel.dates import get_day_names
from dateutil.easter import easter

__all__ = [
    "TERMS",
    "Deadline",
    "Term",
    "atw_holiday_name",
    "atw_holidays",
    "compute_deadline",
    "is_atw_working_day",
    "next_atw_working_day",
]


@dataclass(frozen=True)
class Term:
    """A legal term: its length (weeks or days), Dutch name, legal source and description."""

    key: str
    name: str
    source: str
    description: str
    weeks: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if (self.weeks > 0) == (self.days > 0) or self.weeks < 0 or self.days < 0:
            raise ValueError(f"term {self.key!r} needs a positive length in weeks or in days")

    @property
    def length(self) -> timedelta:
        return timedelta(weeks=self.weeks, days=self.days)

    @property
    def length_text(self) -> str:
        """The length in Dutch, e.g. "6 weken" or "7 dagen"."""
        if self.weeks:
            return f"{self.weeks} {'week' if self.weeks == 1 else 'weken'}"
        return f"{self.days} {'dag' if self.days == 1 else 'dagen'}"


# key: (Dutch name, legal source, description with {length}, weeks, days)
_TERM_DATA: dict[str, tuple[str, str, str, int, int]] = {
    "bezwaar": (
        "bezwaartermijn",
        "Awb art. 6:7 en 6:8",
        "Bezwaar maken kan tot {length} na de dag waarop het besluit is verstuurd.",
        6, 0,
    ),
    "wmo_onderzoek": (
        "onderzoek na de melding (Wmo)",
        "Wmo 2015 art. 2.3.2 lid 1",
        "De gemeente doet het onderzoek binnen {length} na de melding.",
        6, 0,
    ),
    "wmo_persoonlijk_plan": (
        "persoonlijk plan (Wmo)",
        "Wmo 2015 art. 2.3.2 lid 2",
        "U mag binnen {length} na de melding een persoonlijk plan geven.",
        0, 7,
    ),
    "wmo_beschikking": (
        "besluit op de aanvraag (Wmo)",
        "Wmo 2015 art. 2.3.5 lid 1",
        "De gemeente beslist binnen {length} na de aanvraag.",
        2, 0,
    ),
    "awb_beslistermijn": (
        "beslistermijn (Awb)",
        "Awb art. 4:13",
        "Zonder eigen termijn in de wet beslist de overheid binnen {length} na de aanvraag;"
        " dit geldt ook voor de Jeugdwet, tenzij de verordening iets anders zegt.",
        8, 0,
    ),
    "ciz": (
        "besluit van het CIZ (Wlz)",
        "Wlz; beslistermijn van het CIZ",
        "Het CIZ beslist binnen {length} na een complete aanvraag.",
        6, 0,
    ),
    "beslissing_op_bezwaar": (
        "beslissing op bezwaar",
        "Awb art. 7:10 lid 1",
        "De overheid beslist binnen {length} na het einde van de bezwaartermijn.",
        6, 0,
    ),
    "beslissing_op_bezwaar_commissie": (
        "beslissing op bezwaar met adviescommissie",
        "Awb art. 7:10 lid 1",
        "Met een adviescommissie beslist de overheid binnen {length} na het einde van de"
        " bezwaartermijn.",
        12, 0,
    ),
    "beroep": (
        "beroepstermijn",
        "Awb art. 6:7 en 6:8",
        "In beroep gaan bij de rechtbank kan tot {length} na de dag waarop de beslissing op"
        " bezwaar is verstuurd.",
        6, 0,
    ),
    "ingebrekestelling": (
        "termijn na ingebrekestelling",
        "Awb art. 4:17 en 6:12",
        "Na de ingebrekestelling heeft de overheid nog {length}; is er dan nog geen besluit,"
        " dan kunt u naar de rechter.",
        2, 0,
    ),
}


def _make_term(key: str, weeks: int | None = None) -> Term:
    """Build term ``key`` from :data:`_TERM_DATA`, optionally with another length in weeks."""
    name, source, template, default_weeks, default_days = _TERM_DATA[key]
    weeks, days = (default_weeks, default_days) if weeks is None else (weeks, 0)
    length = Term(key, name, source, "", weeks=weeks, days=days).length_text
    return Term(key, name, source, template.format(length=length), weeks=weeks, days=days)


#: All legal terms by key.
TERMS: dict[str, Term] = {key: _make_term(key) for key in _TERM_DATA}


# -- Algemene termijnenwet ---------------------------------------------------

# The holidays library names its Dutch holidays in English by default; these
# are the ones that are Atw holidays, with the name we show.
_ATW_NAMES_BY_LIBRARY_NAME = {
    "New Year's Day": "Nieuwjaarsdag",
    "Good Friday": "Goede Vrijdag",
    "Easter Monday": "Tweede Paasdag",
    "King's Day": "Koningsdag",
    "Queen's Day": "Koninginnedag",
    "Liberation Day": "Bevrijdingsdag",
    "Ascension Day": "Hemelvaartsdag",
    "Whit Monday": "Tweede Pinksterdag",
    "Christmas Day": "Eerste Kerstdag",
    "Second Day of Christmas": "Tweede Kerstdag",
}


def atw_holidays(year: int) -> dict[date, str]:
    """The recognised holidays of the Algemene termijnenwet in ``year``, with Dutch names.

    Atw art. 3 lid 1 names Nieuwjaarsdag, tweede Paas- and Pinksterdag, both
    Kerstdagen, Hemelvaartsdag, the day the King's birthday is celebrated and
    5 mei; art. 3 lid 2 adds Goede Vrijdag.  The ``holidays`` library's
    calendar for the Netherlands is the base (it knows Easter and Koningsdag:
    27 April, or 26 April when the 27th is a Sunday; Koninginnedag before
    2014), adjusted because it is a general-purpose calendar, not the Atw list:

    * 5 mei is added for every year: the library has Bevrijdingsdag only in
      lustrum years (when most employers give the day off), the Atw every year.
    * Goede Vrijdag is added (from dateutil's Easter) in case the library
      leaves it out, as some of its versions and categories do.
    * Eerste Paasdag and Eerste Pinksterdag are dropped: they are Sundays, and
      not holidays in the sense of the Atw, so a term ending on them is
      extended because of the Sunday.

    Not included: days that a Koninklijk Besluit equates with a holiday under
    art. 3 lid 3 (such as the Friday after Hemelvaartsdag in some years).  These
    change by decree; without them a computed deadline can only be too early,
    never too late.
    """
    return dict(_atw_holidays(year))


@lru_cache(maxsize=64)
def _atw_holidays(year: int) -> dict[date, str]:
    found: dict[date, str] = {}
    for day, library_name in holidays.country_holidays("NL", years=year).items():
        for part in str(library_name).split("; "):
            if part in _ATW_NAMES_BY_LIBRARY_NAME:
                found[day] = _ATW_NAMES_BY_LIBRARY_NAME[part]
    found.setdefault(date(year, 5, 5), "Bevrijdingsdag")
    found.setdefault(easter(year) - timedelta(days=2), "Goede Vrijdag")
    return found


def atw_holiday_name(d: date) -> str | None:
    """The Dutch name of the Atw holiday on ``d``, or None when it is none."""
    return _atw_holidays(d.year).get(d)


_WEEKDAY_NAMES = get_day_names("wide", locale="nl")


def _non_working_reason(d: date) -> str | None:
    """Why ``d`` does not end a term: a holiday name, "zaterdag" or "zondag"; else None."""
    name = atw_holiday_name(d)
    if name is not None:
        return name
    if d.weekday() >= 5:
        return str(_WEEKDAY_NAMES[d.weekday()])
    return None


def is_atw_working_day(d: date) -> bool:
    """True when ``d`` is no Saturday, Sunday or Atw holiday."""
    return _non_working_reason(d) is None


def next_atw_working_day(d: date) -> date:
    """The first day on or after ``d`` that is no Saturday, Sunday or Atw holiday.

    Returns ``d`` itself when it is such a day (Atw art. 1: extended "tot en met
    de eerstvolgende dag die niet een zaterdag, zondag of algemeen erkende
    feestdag is").
    """
    while not is_atw_working_day(d):
        d += timedelta(days=1)
    return d


# -- Deadlines ---------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """The last day of a term, after the Algemene termijnenwet.

    ``nominal_end`` is start + term length; ``date`` is the legal last day;
    ``extended_because`` names why they differ (e.g. "zondag", "Goede Vrijdag").
    """

    term: Term
    start: date
    nominal_end: date
    date: date
    extended_because: str | None = None

    @property
    def extended(self) -> bool:
        return self.date != self.nominal_end

    def days_left(self, today: date | None = None) -> int:
        """Days from ``today`` to the last day: 0 on the last day, negative when overdue."""
        return (self.date - (today or date.today())).days

    def is_overdue(self, today: date | None = None) -> bool:
        """True once the last day has passed (the last day itself still counts)."""
        return self.days_left(today) < 0


def compute_deadline(term_key: str, start: date, *, weeks: int | None = None) -> Deadline:
    """The deadline of term ``term_key`` (a key of :data:`TERMS`) that starts at ``start``.

    ``weeks`` replaces the term's length, e.g. for a Jeugdwet term that a
    municipality's verordening sets itself.
    """
    if term_key not in TERMS:
        raise KeyError(f"unknown term {term_key!r}; known terms: {', '.join(TERMS)}")
    term = TERMS[term_key]
    if weeks is not None:
        if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks <= 0:
            raise ValueError(f"weeks must be a positive whole number, not {weeks!r}")
        term = _make_term(term_key, weeks)
    nominal_end = start + term.length
    reason = _non_working_reason(nominal_end)
    return Deadline(
        term=term,
        start=start,
        nominal_end=nominal_end,
        date=next_atw_working_day(nominal_end),
        extended_because=reason,
    )
