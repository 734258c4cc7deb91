"""The case store: cases, their events and contacts, import/export, verified lookup.

Modules: ``vocab`` (contract 2 vocabularies), ``db`` (engines, sessions,
migrations), ``models``, ``importer``, ``repository`` (lookup with lockout),
``views`` (frozen dataclasses handed to the dialogue), ``cli``.
Importing this package connects to nothing.
"""

from bot.cases.db import database_url, get_engine, migrate, session_scope
from bot.cases.importer import ImportProblem, ImportReport, export_cases, import_cases, validate_payload
from bot.cases.repository import LockState, LookupResult, is_locked, lookup_case, purge_attempts
from bot.cases.views import CaseView, ContactView, EventView

__all__ = [
    "CaseView",
    "ContactView",
    "EventView",
    "ImportProblem",
    "ImportReport",
    "LockState",
    "LookupResult",
    "database_url",
    "export_cases",
    "get_engine",
    "import_cases",
    "is_locked",
    "lookup_case",
    "migrate",
    "purge_attempts",
    "session_scope",
    "validate_payload",
]
