"""Slot values that the tracker store may keep but not read: the case number during a lookup.

Between the turn in which the user gives the case number and the turn with the birth date, the
action server needs the number back, and Rasa keeps slots only in its tracker store. So the
action seals it (Fernet: AES-128-CBC with an HMAC-SHA256, from the ``cryptography`` package)
with a key derived from the shared secret that only the Rasa server and the action server hold
(``WEGWIJZER_ACTION_TOKEN``, bot/action_server.py). The store, its backups and anyone holding the
operator API token see ``sealed:gAAAA...``, never the number; a sealed value older than
:data:`MAX_AGE_SECONDS` no longer opens. After the lookup the slots are emptied anyway.

The tracker store (bot/tracker_store.py) replaces any value of these slots that is not sealed.
"""
from __future__ import annotations

import base64
import os
from typing import Any, Optional

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.action_server import TOKEN_ENV

PREFIX = "sealed:"
#: A lookup that takes longer than this starts again (the form asks the number again).
MAX_AGE_SECONDS = 30 * 60
#: Slots that hold a case number and are therefore sealed.
SEALED_SLOTS = frozenset({"case_number", "verified_case_number"})

_keys: dict[str, Fernet] = {}
_process_secret = os.urandom(32)


def _fernet() -> Fernet:
    secret = os.environ.get(TOKEN_ENV, "").strip().encode("utf-8") or _process_secret
    cached = _keys.get(secret.hex())
    if cached is None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"wegwijzer sealed slot v1").derive(secret)
        cached = _keys[secret.hex()] = Fernet(base64.urlsafe_b64encode(key))
    return cached


def seal(value: Optional[str]) -> Optional[str]:
    """``value`` sealed for the tracker store (None stays None)."""
    if value is None:
        return None
    return PREFIX + _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def unseal(value: Any) -> Optional[str]:
    """The sealed value, or None when ``value`` is not sealed, was altered or is too old."""
    if not is_sealed(value):
        return None
    try:
        return _fernet().decrypt(value[len(PREFIX):].encode("ascii"), ttl=MAX_AGE_SECONDS).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError):
        return None
