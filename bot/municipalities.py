"""Municipality configuration: one YAML file per municipality in config/municipalities/.

Local facts (phone numbers, the name of the wijkteam, cliëntondersteuning providers, a local
decision term from the verordening) come only from here, never from the bot's own texts.
The directory can be moved with WEGWIJZER_MUNICIPALITIES_DIR (for an installed package).
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot import PACKAGE_DIR

DEFAULT_DIR = PACKAGE_DIR.parent / "config" / "municipalities"


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    hours: str | None = None


@dataclass(frozen=True)
class Provider:
    name: str
    description: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class Municipality:
    slug: str
    name: str
    example: bool
    contact: Contact
    aliases: tuple[str, ...] = ()
    wijkteam_name: str | None = None
    wijkteam_how_to_reach: str | None = None
    clientondersteuning: tuple[Provider, ...] = ()
    jeugdwet_decision_weeks: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def display_name(self) -> str:
        return f"{self.name} (voorbeeldgegevens)" if self.example else self.name


class MunicipalityConfigError(ValueError):
    """A municipality file cannot be read; the message names the file and the kind of error."""


def municipalities_dir() -> Path:
    return Path(os.environ.get("WEGWIJZER_MUNICIPALITIES_DIR", DEFAULT_DIR))


def _parse(slug: str, raw: dict) -> Municipality:
    wijkteam = raw.get("wijkteam") or {}
    rules = raw.get("rules") or {}
    return Municipality(
        slug=slug,
        name=str(raw["name"]),
        example=bool(raw.get("example", False)),
        aliases=tuple(raw.get("aliases") or ()),
        contact=Contact(**(raw.get("contact") or {})),
        wijkteam_name=wijkteam.get("name"),
        wijkteam_how_to_reach=wijkteam.get("how_to_reach"),
        clientondersteuning=tuple(Provider(**p) for p in raw.get("clientondersteuning") or ()),
        jeugdwet_decision_weeks=rules.get("jeugdwet_decision_weeks"),
        notes=tuple(raw.get("notes") or ()),
    )


@functools.lru_cache(maxsize=4)
def _load(directory: str) -> dict[str, Municipality]:
    found: dict[str, Municipality] = {}
    for path in sorted(Path(directory).glob("*.yml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            found[path.stem] = _parse(path.stem, raw)
        except Exception as error:  # an unknown key, a YAML error: name the file, not the values
            raise MunicipalityConfigError(f"{path.name}: {type(error).__name__}") from error
    return found


def load_all() -> dict[str, Municipality]:
    """All configured municipalities by slug (the file name without .yml)."""
    return _load(str(municipalities_dir()))


def get(slug: str | None) -> Municipality | None:
    return load_all().get(slug) if slug else None


def _names(municipality: Municipality) -> list[str]:
    base = municipality.name
    bare = re.sub(r"^gemeente\s+", "", base, flags=re.IGNORECASE)
    return [base, bare, municipality.slug, *municipality.aliases]


def find_in_text(text: str | None) -> Municipality | None:
    """The configured municipality named in `text` ("ik woon in Voorbeeld"), if any."""
    if not text:
        return None
    lowered = text.lower()
    for municipality in load_all().values():
        for name in _names(municipality):
            if re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", lowered):
                return municipality
    return None
