"""The case vocabularies of contract 2 (``../shared/DESIGN.md``), in one place.

Everything that validates, stores or explains a case takes its allowed values
from here: the importer, the repository and (later) the dialogue.
"""

from __future__ import annotations

import re
from typing import Final

#: The laws a case can fall under, as written in an import file.
LAWS: Final[tuple[str, ...]] = ("jeugdwet", "wmo", "wlz", "zvw")

#: The steps of a case, in the order of contract 2. Both ``status`` and the
#: ``type`` of an event take a value from this list.
STEPS: Final[tuple[str, ...]] = (
    "melding_ontvangen",
    "gesprek_gepland",
    "onderzoek_gestart",
    "verslag_verstuurd",
    "aanvraag_ontvangen",
    "besluit_genomen",
    "bezwaar_ontvangen",
    "beslissing_op_bezwaar",
    "zorg_gestart",
    "herbeoordeling",
    "afgesloten",
)

#: The outcomes of a decision.
OUTCOMES: Final[tuple[str, ...]] = ("toegekend", "deels_toegekend", "afgewezen")

#: Event types that must carry an ``outcome`` (and the only ones that may).
STEPS_WITH_OUTCOME: Final[tuple[str, ...]] = ("besluit_genomen", "beslissing_op_bezwaar")

#: Lengths of a case number (the municipality's own identifier).
CASE_NUMBER_MIN_LENGTH: Final[int] = 4
CASE_NUMBER_MAX_LENGTH: Final[int] = 32

#: A case number: ASCII letters, digits and hyphens, 4 to 32 characters.
#: Spelled out as ASCII classes on purpose: ``\\w`` and ``\\d`` would also
#: accept full-width digits and other Unicode look-alikes.
CASE_NUMBER_PATTERN: Final[re.Pattern[str]] = re.compile(
    rf"[A-Za-z0-9-]{{{CASE_NUMBER_MIN_LENGTH},{CASE_NUMBER_MAX_LENGTH}}}"
)

#: A municipality is named by the slug of its configuration file,
#: for example ``gemeente-voorbeeld``.
MUNICIPALITY_PATTERN: Final[re.Pattern[str]] = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MUNICIPALITY_MAX_LENGTH: Final[int] = 64


def normalise_case_number(raw: object) -> str | None:
    """Return the canonical (upper-case) form of a case number, or ``None``.

    Surrounding ASCII blanks are ignored; anything else that does not match
    :data:`CASE_NUMBER_PATTERN` exactly (zero-width characters, full-width
    digits, quotes, SQL, overly long input) gives ``None``. The length is
    checked before the pattern so huge inputs cost nothing.
    """
    if not isinstance(raw, str):
        return None
    if len(raw) > CASE_NUMBER_MAX_LENGTH + 16:
        return None
    candidate = raw.strip(" \t\r\n")
    if not CASE_NUMBER_PATTERN.fullmatch(candidate):
        return None
    return candidate.upper()
