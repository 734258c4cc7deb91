"""What a case's status means for the user: the step in plain words, what comes next, the deadline.

This is the one place that maps each step of the case vocabulary (:mod:`bot.cases.vocab`) to Dutch
text for the three audiences of contract 1 (``parent``, ``simple``, ``professional``), and that
decides which legal term applies to the *next* step.  The dates themselves come from
:func:`bot.deadlines.compute_deadline` (contract 4), never from here.

``action_show_case_status`` (actions/case_lookup.py) calls :func:`status_messages` with a
:class:`~bot.cases.views.CaseView` that passed the verified lookup.  The answer always has three
parts: the current step and the next one (who acts), the deadline for that next step as a Dutch
date (overdue or not, and what the user can do then), and the contact person.

The deadline table
------------------

``org`` is who acts: the municipality (Wmo, Jeugdwet), the CIZ (Wlz) or the health insurer (Zvw).
"Local" is the municipality's own Jeugdwet term (``jeugdwet_decision_weeks`` in
config/municipalities/); without one the Awb term of 8 weeks applies (FACTS D5).

=====================================================  ==========================================  =====================================  =========
status                                                 term for the next step                      counted from                           who acts
=====================================================  ==========================================  =====================================  =========
melding_ontvangen, gesprek_gepland, onderzoek_gestart  Wmo: ``wmo_onderzoek`` (6 wk, D1);          the latest melding or herbeoordeling   org
herbeoordeling                                         Jeugdwet: local or ``awb_beslistermijn``    (Wlz: the latest aanvraag)
                                                       (8 wk, D5); Wlz: ``ciz`` (6 wk, D6)
verslag_verstuurd                                      Wmo: ``wmo_beschikking`` (2 wk, D4);        today: "if you apply today"            the user
                                                       Jeugdwet: local or 8 wk; Wlz: ``ciz``
aanvraag_ontvangen                                     as for verslag_verstuurd                    the latest aanvraag                    org
besluit_genomen                                        ``bezwaar`` (6 wk, D7)                      the decision                           the user
                                                                                                                                          (toegekend:
                                                                                                                                          org and the
                                                                                                                                          provider)
bezwaar_ontvangen                                      ``beslissing_op_bezwaar`` (6 wk, D9;        the last day of the bezwaar term of    org
                                                       professionals also see the 12 weeks with    the latest besluit (Awb 7:10); without
                                                       an advisory committee)                      a besluit: the day the bezwaar came in
beslissing_op_bezwaar                                  ``beroep`` (6 wk, D10)                      the decision on the bezwaar            the user
zorg_gestart, afgesloten                               bezwaar (or beroep) against the latest      that decision                          nobody
                                                       decision, usually already passed
=====================================================  ==========================================  =====================================  =========

Notes on the choices:

* Jeugdwet has no separate investigation term; the brief for issue 5 counts the decision term from
  the melding while the case is in the investigation, and from the aanvraag once there is one.
* ``herbeoordeling`` is treated as a new melding: a new investigation and decision follow.
* Zvw (wijkverpleging, medical care) has no legal term for these steps: that answer names no date
  and says to ask the contact person.  No demo case is a Zvw case.
* An organisation's term that has passed is *overdue* (the organisation is late): the answer says
  so and what the user can do (call the contact person; for a decision the ingebrekestelling, D11).
  A user's term (bezwaar, beroep) that has passed is said to be over.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload, selectinload

from bot import dates, municipalities
from bot.cases.models import Case
from bot.cases.repository import to_view
from bot.cases.views import CaseView, EventView
from bot.cases.vocab import normalise_case_number
from bot.deadlines import Deadline, compute_deadline
from bot.responses import AUDIENCES, DEFAULT_AUDIENCE

__all__ = [
    "DeadlinePlan",
    "Message",
    "StatusAnswer",
    "load_case",
    "plan_deadline",
    "status_answer",
    "status_messages",
]

#: Who acts for each law: (lower case, sentence start).
ORGANISATIONS: dict[str, tuple[str, str]] = {
    "wmo": ("de gemeente", "De gemeente"),
    "jeugdwet": ("de gemeente", "De gemeente"),
    "wlz": ("het CIZ", "Het CIZ"),
    "zvw": ("de zorgverzekeraar", "De zorgverzekeraar"),
}

#: Terms an organisation must keep when it decides (overdue: ingebrekestelling, FACTS D11).
DECISION_TERMS = frozenset(
    {"wmo_beschikking", "awb_beslistermijn", "ciz", "beslissing_op_bezwaar"}
)

INVESTIGATION_STEPS = ("melding_ontvangen", "gesprek_gepland", "onderzoek_gestart", "herbeoordeling")
AFTER_CARE_STEPS = ("zorg_gestart", "afgesloten")

ORG = "org"
USER = "user"
NOBODY = "nobody"

#: How a deadline is meant: the organisation must act by it, the user can act until it, or it
#: is what would apply if the user applied today.
ORG_TERM = "org_term"
USER_TERM = "user_term"
IF_APPLIED_TODAY = "if_applied_today"


@dataclass(frozen=True)
class T:
    """One text in three audience variants."""

    parent: str
    simple: str
    professional: str

    def get(self, audience: str) -> str:
        return getattr(self, audience if audience in AUDIENCES else DEFAULT_AUDIENCE)


# --- the current step, in plain words -----------------------------------------------------------
# Placeholders: {org}/{Org} who acts, {day} the date of the step.  Decisions have a text per outcome.

NOW: dict[str, T] = {
    "melding_ontvangen": T(
        "{Org} kreeg uw melding op {day}. Met een melding vraagt u om hulp.",
        "{Org} kreeg je vraag om hulp op {day}.",
        "Huidige stap: melding ontvangen op {day}.",
    ),
    "gesprek_gepland": T(
        "Er is een gesprek gepland met {org}. Dat staat sinds {day} in uw dossier.",
        "Er is een afspraak voor een gesprek met {org}.",
        "Huidige stap: gesprek gepland (vastgelegd op {day}).",
    ),
    "onderzoek_gestart": T(
        "{Org} onderzoekt sinds {day} welke hulp nodig is.",
        "{Org} kijkt welke hulp je nodig hebt. Dat doen ze sinds {day}.",
        "Huidige stap: onderzoek gestart op {day}.",
    ),
    "verslag_verstuurd": T(
        "{Org} stuurde u op {day} het verslag van het onderzoek. Daarin staat wat u samen besprak.",
        "{Org} stuurde je op {day} een verslag. Daarin staat wat jullie bespraken.",
        "Huidige stap: verslag van het onderzoek verstuurd op {day}.",
    ),
    "aanvraag_ontvangen": T(
        "{Org} kreeg uw aanvraag op {day}. Met de aanvraag vraagt u om een besluit over de hulp.",
        "{Org} kreeg je aanvraag op {day}.",
        "Huidige stap: aanvraag ontvangen op {day}.",
    ),
    "besluit_genomen:toegekend": T(
        "{Org} nam op {day} een besluit: u krijgt de hulp.",
        "{Org} besloot op {day}: je krijgt de hulp.",
        "Huidige stap: besluit genomen op {day}; uitkomst: toegekend.",
    ),
    "besluit_genomen:deels_toegekend": T(
        "{Org} nam op {day} een besluit: u krijgt een deel van de hulp.",
        "{Org} besloot op {day}: je krijgt een deel van de hulp.",
        "Huidige stap: besluit genomen op {day}; uitkomst: deels toegekend.",
    ),
    "besluit_genomen:afgewezen": T(
        "{Org} nam op {day} een besluit: u krijgt de hulp niet.",
        "{Org} besloot op {day}: je krijgt de hulp niet.",
        "Huidige stap: besluit genomen op {day}; uitkomst: afgewezen.",
    ),
    "bezwaar_ontvangen": T(
        "{Org} kreeg uw bezwaar op {day}. Daarin schreef u dat u het niet eens bent met het besluit.",
        "{Org} kreeg je bezwaar op {day}. Dat is je brief waarin staat: ik ben het niet eens.",
        "Huidige stap: bezwaarschrift ontvangen op {day}.",
    ),
    "beslissing_op_bezwaar:toegekend": T(
        "{Org} besliste op {day} over uw bezwaar: u krijgt de hulp toch.",
        "{Org} keek naar je bezwaar. Dat was op {day}. Je krijgt de hulp toch.",
        "Huidige stap: beslissing op bezwaar op {day}; uitkomst: toegekend.",
    ),
    "beslissing_op_bezwaar:deels_toegekend": T(
        "{Org} besliste op {day} over uw bezwaar: u krijgt een deel van de hulp.",
        "{Org} keek naar je bezwaar. Dat was op {day}. Je krijgt een deel van de hulp.",
        "Huidige stap: beslissing op bezwaar op {day}; uitkomst: deels toegekend.",
    ),
    "beslissing_op_bezwaar:afgewezen": T(
        "{Org} besliste op {day} over uw bezwaar: het besluit blijft zoals het was.",
        "{Org} keek naar je bezwaar. Dat was op {day}. Het blijft nee.",
        "Huidige stap: beslissing op bezwaar op {day}; uitkomst: bezwaar ongegrond, afgewezen.",
    ),
    "zorg_gestart": T(
        "De hulp is begonnen op {day}.",
        "Je hulp is begonnen op {day}.",
        "Huidige stap: zorg gestart op {day}.",
    ),
    "herbeoordeling": T(
        "{Org} kijkt sinds {day} opnieuw naar uw hulp. Dat heet een herbeoordeling.",
        "{Org} kijkt opnieuw naar je hulp. Dat doen ze sinds {day}.",
        "Huidige stap: herbeoordeling gestart op {day}.",
    ),
    "afgesloten": T(
        "Uw dossier is gesloten op {day}.",
        "Je dossier is dicht sinds {day}.",
        "Huidige stap: dossier afgesloten op {day}.",
    ),
}

# --- what happens next, and who acts --------------------------------------------------------------

NEXT: dict[str, T] = {
    "melding_ontvangen": T(
        "Nu is {org} aan zet. {Org} maakt een afspraak voor een gesprek met u. "
        "Daarin kijkt u samen wat nodig is.",
        "Nu moet {org} iets doen. {Org} maakt een afspraak met je. "
        "Dan praten jullie over wat je nodig hebt.",
        "Volgende stap: onderzoek (gesprek) door {org}. Aan zet: {org}.",
    ),
    "gesprek_gepland": T(
        "Nu is {org} aan zet. In het gesprek kijkt u samen wat nodig is. "
        "Neem gerust iemand mee, bijvoorbeeld een gratis cliëntondersteuner.",
        "Nu moet {org} iets doen. In het gesprek praten jullie over wat je nodig hebt. "
        "Je mag iemand meenemen.",
        "Volgende stap: gesprek en onderzoek. Aan zet: {org}. Wijs op gratis cliëntondersteuning.",
    ),
    "onderzoek_gestart": T(
        "Nu is {org} aan zet. Na het onderzoek krijgt u de uitkomst op papier.",
        "Nu moet {org} iets doen. Daarna krijg je een brief met wat eruit komt.",
        "Volgende stap: afronding van het onderzoek en de uitkomst op schrift. Aan zet: {org}.",
    ),
    "verslag_verstuurd": T(
        "Nu bent u aan zet. Klopt het verslag? Dan vraagt u de hulp aan. Dat heet de aanvraag. "
        "Klopt er iets niet? Zeg dat dan tegen {org}.",
        "Nu moet jij iets doen. Lees het verslag. Klopt het? Vraag dan de hulp aan. "
        "Klopt iets niet? Zeg het tegen {org}.",
        "Volgende stap: de aanvraag. Aan zet: de cliënt.",
    ),
    "aanvraag_ontvangen": T(
        "Nu is {org} aan zet. {Org} neemt een besluit en stuurt u dat in een brief.",
        "Nu moet {org} iets doen. {Org} besluit of je de hulp krijgt. Dat staat in een brief.",
        "Volgende stap: het besluit (beschikking) op de aanvraag. Aan zet: {org}.",
    ),
    "besluit_genomen:toegekend": T(
        "Nu kan de hulp beginnen. {Org} of de zorgaanbieder neemt contact met u op.",
        "Nu kan de hulp beginnen. Je hoort wanneer.",
        "Volgende stap: start van de zorg. Aan zet: {org} en de zorgaanbieder.",
    ),
    "besluit_genomen:deels_toegekend": T(
        "Het deel dat u wel krijgt, kan beginnen. Bent u het niet eens met het besluit? "
        "Dan bent u aan zet: u kunt bezwaar maken. Dat doet u met een brief aan {org}.",
        "Het deel dat je wel krijgt, kan beginnen. Ben je het niet eens? "
        "Dan kun je bezwaar maken. Dat is een brief aan {org}.",
        "Volgende stap: eventueel bezwaar bij {org} (Awb art. 6:4). Aan zet: de cliënt.",
    ),
    "besluit_genomen:afgewezen": T(
        "Nu bent u aan zet. Bent u het niet eens met het besluit? Dan kunt u bezwaar maken. "
        "Dat doet u met een brief aan {org}. Een nee betekent niet dat er geen hulp is.",
        "Nu kun jij iets doen. Ben je het niet eens? Dan kun je bezwaar maken. "
        "Dat is een brief aan {org}.",
        "Volgende stap: eventueel bezwaar bij {org} (Awb art. 6:4). Aan zet: de cliënt.",
    ),
    "bezwaar_ontvangen": T(
        "Nu is {org} aan zet. {Org} bekijkt het besluit opnieuw. "
        "Daarna krijgt u een brief met de beslissing op uw bezwaar.",
        "Nu moet {org} iets doen. {Org} kijkt opnieuw naar het besluit. Daarna krijg je een brief.",
        "Volgende stap: de beslissing op bezwaar (Awb art. 7:10). Aan zet: {org}.",
    ),
    "beslissing_op_bezwaar:toegekend": T(
        "Nu kan de hulp beginnen. {Org} of de zorgaanbieder neemt contact met u op.",
        "Nu kan de hulp beginnen. Je hoort wanneer.",
        "Volgende stap: start van de zorg. Aan zet: {org} en de zorgaanbieder.",
    ),
    "beslissing_op_bezwaar:deels_toegekend": T(
        "Bent u het nog steeds niet eens? Dan bent u aan zet. U kunt in beroep gaan bij de rechtbank.",
        "Ben je het nog steeds niet eens? Dan kun je naar de rechter. Dat heet beroep.",
        "Volgende stap: eventueel beroep bij de rechtbank (Awb art. 8:1). Aan zet: de cliënt.",
    ),
    "beslissing_op_bezwaar:afgewezen": T(
        "Bent u het nog steeds niet eens? Dan bent u aan zet. U kunt in beroep gaan bij de rechtbank.",
        "Ben je het nog steeds niet eens? Dan kun je naar de rechter. Dat heet beroep.",
        "Volgende stap: eventueel beroep bij de rechtbank (Awb art. 8:1). Aan zet: de cliënt.",
    ),
    "zorg_gestart": T(
        "De hulp loopt nu. Verandert er iets bij u thuis? Geef dat door aan {org}. "
        "Voor het einde van het besluit kijkt {org} samen met u opnieuw.",
        "Je krijgt nu hulp. Verandert er iets? Zeg het tegen {org}.",
        "Geen open stap: de zorg loopt. Wijzigingen melden (Wmo 2015 art. 2.3.8); "
        "herbeoordeling voor het einde van de beschikking.",
    ),
    "herbeoordeling": T(
        "Nu is {org} aan zet. Meestal volgt er eerst een gesprek. "
        "Wilt u hulp bij dat gesprek? Een cliëntondersteuner helpt u gratis.",
        "Nu moet {org} iets doen. Je krijgt een afspraak voor een gesprek.",
        "Volgende stap: onderzoek en een nieuw besluit. Aan zet: {org}. "
        "Wijs op gratis cliëntondersteuning.",
    ),
    "afgesloten": T(
        "Er gebeurt nu niets meer. Heeft u weer hulp nodig? Doe dan een nieuwe melding bij {org}.",
        "Er gebeurt nu niets meer. Heb je weer hulp nodig? Vraag het dan opnieuw aan {org}.",
        "Geen volgende stap. Een nieuwe hulpvraag begint met een nieuwe melding.",
    ),
}

# --- the deadline -------------------------------------------------------------------------------
# Placeholders: {deadline} ("dinsdag 15 december 2026"), {days} ("22 dagen"), {term} (the term's
# Dutch name), {length} ("6 weken"), {source} (the article), {org}/{Org}.

ORG_DEADLINE = T(
    "{Org} moet dat op tijd doen. De laatste dag is {deadline}. Zo staat het in de wet.",
    "{Org} moet dat op tijd doen. De laatste dag is {deadline}.",
    "Termijn: {term}, {length} ({source}). Uiterlijk: {deadline}.",
)
ORG_DEADLINE_LOCAL = T(
    "{Org} moet dat op tijd doen. De laatste dag is {deadline}. Zo staat het in de regels van uw"
    " gemeente.",
    "{Org} moet dat op tijd doen. De laatste dag is {deadline}.",
    "Termijn: {length} volgens de verordening van {municipality} (Jeugdwet; zonder eigen termijn "
    "8 weken, Awb art. 4:13). Uiterlijk: {deadline}.",
)
ORG_DEADLINE_COMMITTEE = T(
    "",
    "",
    "Hoort een adviescommissie het bezwaar, dan is de termijn 12 weken: uiterlijk {committee}.",
)
OVERDUE = T(
    "{Org} had dat uiterlijk op {deadline} moeten doen. Die datum is voorbij. {Org} is dus te laat.",
    "De laatste dag was {deadline}. Die dag is voorbij. {Org} is dus te laat.",
    "Termijn overschreden: uiterlijk {deadline} ({term}, {length}, {source}).",
)
OVERDUE_DECISION_TODO = T(
    "Wat kunt u doen? Bel eerst {contact}. Vraag wanneer het besluit komt. "
    "Komt het dan nog niet? Stuur een ingebrekestelling. Dat is een brief waarin u schrijft "
    "dat {org} te laat is. Na 2 weken kunt u dan naar de rechter.",
    "Wat kun je doen? Bel eerst {contact}. Vraag wanneer het besluit komt. "
    "Komt het dan nog niet? Stuur een brief. Daarin staat: je bent te laat. "
    "Dat heet een ingebrekestelling.",
    "Route: eerst contact met {contact}; dan een ingebrekestelling (Awb art. 4:17); "
    "na 2 weken beroep wegens niet tijdig beslissen (Awb art. 6:12).",
)
OVERDUE_INVESTIGATION_TODO = T(
    "Wat kunt u doen? Bel {contact}. Vraag wanneer het onderzoek klaar is. "
    "Een gratis cliëntondersteuner kan u daarbij helpen. Blijft het stil? "
    "Lees dan wat u kunt doen als de gemeente te laat is.",
    "Wat kun je doen? Bel {contact}. Vraag wanneer het klaar is. "
    "Een cliëntondersteuner kan je gratis helpen.",
    "Route: contact met {contact} over de overschreden onderzoekstermijn; "
    "wijs op gratis cliëntondersteuning; zie ook de route bij niet tijdig beslissen.",
)
USER_DEADLINE = {
    "bezwaar": T(
        "Bezwaar maken kan tot en met {deadline}. U heeft nog {days}.",
        "Bezwaar maken kan tot en met {deadline}. Je hebt nog {days}.",
        "Bezwaartermijn ({source}): tot en met {deadline}; nog {days}.",
    ),
    "beroep": T(
        "In beroep gaan kan tot en met {deadline}. U heeft nog {days}.",
        "Naar de rechter gaan kan tot en met {deadline}. Je hebt nog {days}.",
        "Beroepstermijn ({source}): tot en met {deadline}; nog {days}.",
    ),
}
USER_DEADLINE_GRANTED = {
    "bezwaar": T(
        "Bent u het toch niet eens met het besluit? Bezwaar maken kan tot en met {deadline}.",
        "Ben je het toch niet eens? Bezwaar maken kan tot en met {deadline}.",
        "Bezwaartermijn ({source}): tot en met {deadline}.",
    ),
    "beroep": T(
        "Bent u het toch niet eens? In beroep gaan kan tot en met {deadline}.",
        "Ben je het toch niet eens? Naar de rechter gaan kan tot en met {deadline}.",
        "Beroepstermijn ({source}): tot en met {deadline}.",
    ),
}
USER_DEADLINE_TODAY = {
    "bezwaar": T(
        "Bezwaar maken kan nog tot en met vandaag, {deadline}. Stuur uw brief dus vandaag.",
        "Bezwaar maken kan nog tot en met vandaag, {deadline}. Stuur je brief vandaag.",
        "Bezwaartermijn ({source}): vandaag, {deadline}, is de laatste dag.",
    ),
    "beroep": T(
        "In beroep gaan kan nog tot en met vandaag, {deadline}.",
        "Naar de rechter gaan kan nog tot en met vandaag, {deadline}.",
        "Beroepstermijn ({source}): vandaag, {deadline}, is de laatste dag.",
    ),
}
USER_DEADLINE_PASSED = {
    "bezwaar": T(
        "Bezwaar maken kon tot en met {deadline}. Die termijn is voorbij. "
        "Heeft u vragen over het besluit? Bel {contact}.",
        "Bezwaar maken kon tot en met {deadline}. Dat kan nu niet meer. Vragen? Bel {contact}.",
        "Bezwaartermijn ({source}) verstreken op {deadline}.",
    ),
    "beroep": T(
        "In beroep gaan kon tot en met {deadline}. Die termijn is voorbij. "
        "Heeft u vragen? Bel {contact}.",
        "Naar de rechter gaan kon tot en met {deadline}. Dat kan nu niet meer. Vragen? Bel {contact}.",
        "Beroepstermijn ({source}) verstreken op {deadline}.",
    ),
}
IF_APPLIED = T(
    "Doet u de aanvraag vandaag? Dan moet {org} snel beslissen. De laatste dag is dan {deadline}.",
    "Vraag je de hulp vandaag aan? Dan moet {org} snel beslissen. De laatste dag is {deadline}.",
    "Bij een aanvraag van vandaag: {term}, {length} ({source}); uiterlijk {deadline}.",
)
NO_TERM = T(
    "Voor deze stap staat in de wet geen vaste termijn. Vraag {contact} wanneer u iets hoort.",
    "Hiervoor is er geen vaste datum. Vraag {contact} wanneer je iets hoort.",
    "Voor deze stap geldt geen wettelijke termijn (Zvw). Vraag de planning na bij {contact}.",
)
#: Zvw: the health insurer decides; the bot names no bezwaar term for it (FACTS has none).
ZVW_DECISION_NEXT = T(
    "Bent u het niet eens met de zorgverzekeraar? Vraag {contact} wat u dan kunt doen.",
    "Ben je het niet eens? Vraag {contact} wat je kunt doen.",
    "Besluit van de zorgverzekeraar (Zvw): vraag {contact} naar de route als de cliënt het"
    " er niet mee eens is.",
)
NOTE = T("Notitie bij deze stap: {note}", "", "Notitie: {note}")
CONTACT = T(
    "Heeft u vragen? Bel dan met {name} op {phone}. Of mail naar {email}.",
    "Vragen? Bel {name} op {phone}. Of mail naar {email}.",
    "Contactpersoon: {name}, {phone}, {email}.",
)
# The case number is not repeated: the user just typed it, and the answer is kept in the
# conversation store, which must not hold case numbers (docs/case_lookup.md).
HEADER = T(
    "Ik heb uw zaak gevonden.",
    "Ik heb je zaak gevonden.",
    "Zaak gevonden ({law}, {municipality}).",
)

LAW_NAMES = {"wmo": "Wmo 2015", "jeugdwet": "Jeugdwet", "wlz": "Wlz", "zvw": "Zvw"}

BUTTONS = {
    "bezwaar": T("Bezwaar maken", "Bezwaar maken", "Bezwaar: vormvereisten"),
    "wlz_refusal": T("Wlz afgewezen: wat nu?", "Wlz is nee: wat nu?", "Wlz-afwijzing: vervolg"),
    "letter": T("Voorbeeldbrief bezwaar", "Voorbeeldbrief", "Voorbeeldbrief bezwaar"),
    "beroep": T("In beroep gaan", "Naar de rechter", "Beroep: procedure"),
    "late": T("Te laat: wat kan ik doen?", "Ze zijn te laat: wat nu?", "Niet tijdig beslissen"),
    "support": T("Gratis cliëntondersteuning", "Iemand die mij helpt", "Cliëntondersteuning"),
}


# --- the plan for the next step -------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlinePlan:
    """The deadline of the next step: its date, how it is meant and who acts."""

    deadline: Deadline
    kind: str  # ORG_TERM, USER_TERM or IF_APPLIED_TODAY
    actor: str  # ORG, USER or NOBODY
    local_weeks: Optional[int] = None
    committee: Optional[Deadline] = None

    def overdue(self, today: date) -> bool:
        """The organisation missed its term (only for terms the organisation must keep)."""
        return self.kind == ORG_TERM and self.deadline.is_overdue(today)

    def passed(self, today: date) -> bool:
        return self.deadline.is_overdue(today)


def step_key(case: CaseView) -> str:
    """The status, with the outcome for a decision ("besluit_genomen:afgewezen")."""
    if case.status in ("besluit_genomen", "beslissing_op_bezwaar"):
        event = case.last_event(case.status)
        outcome = event.outcome if event is not None and event.outcome else "toegekend"
        return f"{case.status}:{outcome}"
    return case.status


def _latest_date(case: CaseView, *types: str) -> Optional[date]:
    found = [e.date for e in case.events if e.type in types]
    return max(found) if found else None


def _fallback_date(case: CaseView) -> date:
    event = case.status_event or case.last_event()
    return event.date if event is not None else case.updated_at.date()


def _local_jeugdwet_weeks(case: CaseView) -> Optional[int]:
    municipality = municipalities.get(case.municipality)
    weeks = municipality.jeugdwet_decision_weeks if municipality else None
    return weeks if isinstance(weeks, int) and not isinstance(weeks, bool) and weeks > 0 else None


def _decision_term(case: CaseView, start: date, kind: str, actor: str) -> Optional[DeadlinePlan]:
    """The term to decide on an aanvraag for the case's law."""
    if case.law == "wmo":
        return DeadlinePlan(compute_deadline("wmo_beschikking", start), kind, actor)
    if case.law == "jeugdwet":
        weeks = _local_jeugdwet_weeks(case)
        return DeadlinePlan(
            compute_deadline("awb_beslistermijn", start, weeks=weeks), kind, actor, local_weeks=weeks
        )
    if case.law == "wlz":
        return DeadlinePlan(compute_deadline("ciz", start), kind, actor)
    return None  # zvw: no legal term


def plan_deadline(case: CaseView, today: date) -> Optional[DeadlinePlan]:
    """The deadline for the case's next step (the table in the module docstring), or None (Zvw)."""
    status = case.status
    if case.law == "zvw":
        return None  # no legal term for these steps in FACTS; the insurer's route is asked
    if status in INVESTIGATION_STEPS:
        if case.law == "wmo":
            start = _latest_date(case, "melding_ontvangen", "herbeoordeling") or _fallback_date(case)
            return DeadlinePlan(compute_deadline("wmo_onderzoek", start), ORG_TERM, ORG)
        if case.law == "wlz":
            start = (
                _latest_date(case, "aanvraag_ontvangen")
                or _latest_date(case, "melding_ontvangen", "herbeoordeling")
                or _fallback_date(case)
            )
            return _decision_term(case, start, ORG_TERM, ORG)
        start = _latest_date(case, "melding_ontvangen", "herbeoordeling") or _fallback_date(case)
        return _decision_term(case, start, ORG_TERM, ORG)
    if status == "verslag_verstuurd":
        return _decision_term(case, today, IF_APPLIED_TODAY, USER)
    if status == "aanvraag_ontvangen":
        start = _latest_date(case, "aanvraag_ontvangen") or _fallback_date(case)
        return _decision_term(case, start, ORG_TERM, ORG)
    if status == "besluit_genomen":
        decision = case.last_event("besluit_genomen")
        start = decision.date if decision else _fallback_date(case)
        granted = decision is not None and decision.outcome == "toegekend"
        return DeadlinePlan(compute_deadline("bezwaar", start), USER_TERM, ORG if granted else USER)
    if status == "bezwaar_ontvangen":
        decision = case.last_event("besluit_genomen")
        if decision is not None:
            start = compute_deadline("bezwaar", decision.date).date
        else:
            start = _latest_date(case, "bezwaar_ontvangen") or _fallback_date(case)
        return DeadlinePlan(
            compute_deadline("beslissing_op_bezwaar", start),
            ORG_TERM,
            ORG,
            committee=compute_deadline("beslissing_op_bezwaar_commissie", start),
        )
    if status == "beslissing_op_bezwaar":
        decision = case.last_event("beslissing_op_bezwaar")
        start = decision.date if decision else _fallback_date(case)
        granted = decision is not None and decision.outcome == "toegekend"
        return DeadlinePlan(compute_deadline("beroep", start), USER_TERM, ORG if granted else USER)
    # zorg_gestart, afgesloten: the term against the latest decision (usually passed)
    decision = case.last_decision
    if decision is None:
        return None
    key = "beroep" if decision.type == "beslissing_op_bezwaar" else "bezwaar"
    return DeadlinePlan(compute_deadline(key, decision.date), USER_TERM, NOBODY)


# --- the answer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One bot message: text and buttons (``{"title", "payload"}``)."""

    text: str
    buttons: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class StatusAnswer:
    """The status answer for one case and audience, and the facts the action needs."""

    messages: tuple[Message, ...]
    plan: Optional[DeadlinePlan]
    overdue: bool
    refused: bool
    decision: Optional[EventView] = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.messages)


def _days(n: int) -> str:
    return f"{n} {'dag' if n == 1 else 'dagen'}"


def _fill(template: str, values: dict[str, Any]) -> str:
    return template.format(**values) if template else ""


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def status_answer(case: CaseView, audience: str, today: Optional[date] = None) -> StatusAnswer:
    """The status answer of ``case`` for ``audience`` (``today`` defaults to :func:`dates.today`)."""
    today = today or dates.today()
    audience = audience if audience in AUDIENCES else DEFAULT_AUDIENCE
    key = step_key(case)
    org, org_cap = ORGANISATIONS.get(case.law, ("de gemeente", "De gemeente"))
    municipality = municipalities.get(case.municipality)
    status_event = case.status_event
    values: dict[str, Any] = {
        "org": org,
        "Org": org_cap,
        "day": dates.format_date(_fallback_date(case)),
        "number": case.case_number,
        "law": LAW_NAMES.get(case.law, case.law),
        "municipality": municipality.display_name if municipality else case.municipality,
        "contact": case.contact.name,
        "name": case.contact.name,
        "phone": case.contact.phone,
        "email": case.contact.email,
    }

    first = [_fill(HEADER.get(audience), values), _fill(NOW[key].get(audience), values)]
    if status_event is not None and status_event.note and NOTE.get(audience):
        note = status_event.note.strip()
        if note and note[-1] not in ".!?":
            note += "."
        first.append(_fill(NOTE.get(audience), {"note": note}))
    decision_step = case.status in ("besluit_genomen", "beslissing_op_bezwaar")
    if case.law == "zvw" and decision_step and not key.endswith(":toegekend"):
        first.append(_fill(ZVW_DECISION_NEXT.get(audience), values))
    else:
        first.append(_fill(NEXT[key].get(audience), values))

    plan = plan_deadline(case, today)
    buttons: list[dict[str, str]] = []
    overdue = False
    if plan is None:
        second = _fill(NO_TERM.get(audience), values)
    else:
        deadline = plan.deadline
        days_left = deadline.days_left(today)
        values.update(
            deadline=dates.format_date(deadline.date),
            days=_days(max(days_left, 0)),
            term=deadline.term.name,
            length=deadline.term.length_text,
            source=deadline.term.source,
            committee=dates.format_date(plan.committee.date) if plan.committee else "",
        )
        overdue = plan.overdue(today)
        term_key = deadline.term.key
        if plan.kind == ORG_TERM:
            if overdue:
                todo = OVERDUE_DECISION_TODO if term_key in DECISION_TERMS else OVERDUE_INVESTIGATION_TODO
                second = _join(_fill(OVERDUE.get(audience), values), _fill(todo.get(audience), values))
                buttons.append(_button("late", "/info_late_decision", audience))
            else:
                template = ORG_DEADLINE_LOCAL if plan.local_weeks else ORG_DEADLINE
                second = _fill(template.get(audience), values)
                if plan.committee is not None:
                    second = _join(second, _fill(ORG_DEADLINE_COMMITTEE.get(audience), values))
        elif plan.kind == IF_APPLIED_TODAY:
            second = _fill(IF_APPLIED.get(audience), values)
        else:  # USER_TERM
            table = USER_DEADLINE
            if plan.passed(today):
                table = USER_DEADLINE_PASSED
            elif days_left == 0:
                table = USER_DEADLINE_TODAY
            elif plan.actor != USER:
                table = USER_DEADLINE_GRANTED
            second = _fill(table[term_key].get(audience), values)

    decision = case.last_decision
    refused = (
        decision_step
        and case.law != "zvw"
        and decision is not None
        and decision.outcome in ("afgewezen", "deels_toegekend")
    )
    if refused and plan is not None and not plan.passed(today):
        if case.status == "besluit_genomen":
            if case.law == "wlz":
                buttons.append(_button("wlz_refusal", "/info_wlz_refusal", audience))
            else:
                buttons.append(_button("bezwaar", "/info_bezwaar", audience))
            buttons.append(_button("letter", "/ask_bezwaar_letter", audience))
        else:
            buttons.append(_button("beroep", "/info_beroep", audience))
    if case.status in ("melding_ontvangen", "gesprek_gepland", "herbeoordeling") or refused:
        buttons.append(_button("support", "/info_clientondersteuning", audience))

    messages = (
        Message(" ".join(p for p in first if p)),
        Message(second),
        Message(_fill(CONTACT.get(audience), values), tuple(buttons)),
    )
    return StatusAnswer(messages, plan, overdue, refused, decision, values)


def _button(key: str, payload: str, audience: str) -> dict[str, str]:
    return {"title": BUTTONS[key].get(audience), "payload": payload}


def status_messages(case: CaseView, audience: str, today: Optional[date] = None) -> tuple[Message, ...]:
    """Just the messages of :func:`status_answer`."""
    return status_answer(case, audience, today).messages


# --- reading a verified case ---------------------------------------------------------------------


def load_case(engine: Engine, case_number: str) -> Optional[CaseView]:
    """The case with this number as a view, or None.

    Only for a number that has just passed :func:`bot.cases.repository.lookup_case` (the action
    reads it from a slot that only the lookup sets).  Blocking: call it via ``asyncio.to_thread``.
    """
    number = normalise_case_number(case_number)
    if number is None:
        return None
    with Session(bind=engine, future=True) as session:
        case = session.execute(
            select(Case)
            .options(joinedload(Case.contact), selectinload(Case.events))
            .where(Case.case_number == number)
        ).scalar_one_or_none()
        return to_view(case) if case is not None else None
