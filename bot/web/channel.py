"""The REST channel of the web page, with input checks and a Dutch answer when something fails.

Same URL and format as Rasa's own REST channel (`POST /webhooks/rest/webhook`, body
`{"sender": ..., "message": ..., "metadata": {...}}`, a JSON list of bot messages back), plus:

- a body over :data:`MAX_BODY_BYTES` gets HTTP 413, and anything but `Content-Type:
  application/json` (optionally `; charset=utf-8`) gets HTTP 415, both with a Dutch
  `{"error": ...}`. Requiring JSON means a browser always asks the server first (a CORS
  preflight) before another website can make it post to the chat;
- a malformed body or sender id gets HTTP 400 with a Dutch explanation;
- metadata keeps only the keys the widget sends (:data:`METADATA_RULES`), each a short string of
  a strict form; other keys and wrong values are dropped silently (a badly configured page still
  gets its answers). The requester's address is added server-side as ``client_address``
  (:func:`client_address`), whatever the client sent under that key;
- an empty or over-long message gets a Dutch answer without reaching the model;
- control characters are removed and the text is Unicode-normalised (NFC) before NLU;
- handling a message takes at most :data:`HANDLE_TIMEOUT_SECONDS`; when it fails or takes longer
  (tracker store, lock store or action server down or not answering) the user gets a short
  "even niet beschikbaar" answer instead of an empty list, and the message text is never logged;
- every answer carries `Cache-Control: no-store` (it can contain case data).
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import re
import unicodedata
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
#: The largest request body the chat accepts (a message of 2,000 characters, even if every one
#: of them is JSON-escaped, fits easily). The server sets the same limit as Sanic's
#: REQUEST_MAX_SIZE, so a larger body is refused before it is read.
MAX_BODY_BYTES = 16 * 1024
#: How long handling one message may take before the user gets UNAVAILABLE_ANSWER.
HANDLE_TIMEOUT_SECONDS = 25.0
SENDER_RE = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")  # always used with fullmatch
CONTROL_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
JSON_CONTENT_TYPE_RE = re.compile(
    r"\s*application/json\s*(;\s*charset\s*=\s*(\"utf-8\"|utf-8)\s*)?;?\s*", re.IGNORECASE
)

#: The metadata the widget may send, each key with the exact form of its value. Everything else
#: is dropped, so nothing large or nested reaches Rasa, the tracker store or the actions.
METADATA_RULES: Dict[str, "re.Pattern[str]"] = {
    "municipality": re.compile(r"[a-z0-9-]{1,64}"),
    "audience": re.compile(r"parent|simple|professional"),
}
#: The metadata key with the requester's address (set here, never taken from the client); the
#: action server uses it for its per-client lookup limit.
CLIENT_ADDRESS_KEY = "client_address"
#: Names the request header in which a trusted reverse proxy passes the client's address
#: (e.g. ``X-Forwarded-For`` or ``X-Real-IP``). Unset: the address of the TCP peer is used.
TRUSTED_PROXY_HEADER_ENV = "WEGWIJZER_TRUSTED_PROXY_HEADER"
MAX_ADDRESS_CHARS = 64
NO_STORE = {"Cache-Control": "no-store"}

EMPTY_ANSWER = "Uw bericht was leeg. Typ uw vraag, bijvoorbeeld: Waar begin ik?"
TOO_LONG_ANSWER = (
    "Uw bericht is te lang voor mij. Stel uw vraag in een paar korte zinnen. "
    "Dan kan ik u beter helpen."
)
UNAVAILABLE_ANSWER = (
    "Het lukt even niet om uw vraag te beantwoorden. Probeer het over een paar minuten opnieuw. "
    "Is het dringend? Bel dan uw gemeente."
)
TOO_LARGE_ERROR = "Het bericht is te groot. Stuur een korter bericht."
WRONG_TYPE_ERROR = "Het bericht moet JSON zijn (Content-Type: application/json)."


def clean_text(text: str) -> str:
    return CONTROL_RE.sub("", unicodedata.normalize("NFC", text)).strip()


def bot_reply(sender: str, text: str) -> list[dict[str, Any]]:
    return [{"recipient_id": sender, "text": text}]


def answer(body: Any, status: int = 200) -> HTTPResponse:
    """A JSON answer of the chat; never kept by a browser or proxy cache."""
    return response.json(body, status=status, headers=dict(NO_STORE))


def bad_request(text: str) -> HTTPResponse:
    return answer({"error": text}, status=400)


def too_large() -> HTTPResponse:
    return answer({"error": TOO_LARGE_ERROR}, status=413)


def is_json_content_type(value: Optional[str]) -> bool:
    """True for ``application/json``, optionally with ``charset=utf-8``; False for anything else."""
    return bool(value) and JSON_CONTENT_TYPE_RE.fullmatch(value) is not None


def _valid_address(value: Any) -> Optional[str]:
    """``value`` as a normalised IP address, or None when it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))[:MAX_ADDRESS_CHARS]
    except ValueError:
        return None


def client_address(request: Any, environ: Optional[Mapping[str, str]] = None) -> str:
    """The requester's address, as a string.

    By default the address of the TCP peer (``request.ip``). When the environment variable
    :data:`TRUSTED_PROXY_HEADER_ENV` names a header, the address comes from that header, which
    the trusted reverse proxy in front of the server sets: for ``X-Forwarded-For`` the right-most
    entry (the one that proxy appended; entries to its left come from the client and can be
    forged), for any other header (``X-Real-IP``) its whole value. If that header is missing or
    does not hold an IP address, the peer address is used.
    """
    environ = os.environ if environ is None else environ
    peer = _valid_address(getattr(request, "ip", None)) or str(getattr(request, "ip", "") or "")
    header = (environ.get(TRUSTED_PROXY_HEADER_ENV) or "").strip()
    if header:
        raw = request.headers.get(header)
        if isinstance(raw, str) and raw.strip():
            if header.lower() == "x-forwarded-for":
                raw = raw.split(",")[-1]
            address = _valid_address(raw)
            if address:
                return address
    return (peer or "unknown")[:MAX_ADDRESS_CHARS]


def clean_metadata(metadata: Optional[Mapping[str, Any]], address: str) -> Dict[str, str]:
    """The metadata Rasa gets: the allowed keys with well-formed values, plus the address.

    Unknown keys and wrong values are dropped, not refused; ``client_address`` is always the
    server's own ``address``.
    """
    cleaned: Dict[str, str] = {}
    for key, pattern in METADATA_RULES.items():
        value = (metadata or {}).get(key)
        if isinstance(value, str) and pattern.fullmatch(value):
            cleaned[key] = value
    cleaned[CLIENT_ADDRESS_KEY] = address
    return cleaned


class WegwijzerRestInput(InputChannel):
    """Rasa's REST channel contract with Wegwijzer's input checks and failure answer."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        blueprint = Blueprint("wegwijzer_rest", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return too_large()
            if not is_json_content_type(request.headers.get("content-type")):
                return answer({"error": WRONG_TYPE_ERROR}, status=415)
            try:
                body = request.json
            except Exception:  # sanic raises InvalidUsage on malformed JSON
                body = None
            if not isinstance(body, dict):
                return bad_request("Het bericht is geen geldige JSON met 'sender' en 'message'.")
            sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
            if not isinstance(sender, str) or not SENDER_RE.fullmatch(sender):
                return bad_request("De afzender ('sender') ontbreekt of is ongeldig.")
            if text is not None and not isinstance(text, str):
                return bad_request("Het veld 'message' moet tekst zijn.")
            if metadata is not None and not isinstance(metadata, dict):
                return bad_request("Het veld 'metadata' moet een object zijn.")
            text = clean_text(text or "")
            if not text:
                return answer(bot_reply(sender, EMPTY_ANSWER))
            if len(text) > MAX_MESSAGE_CHARS:
                return answer(bot_reply(sender, TOO_LONG_ANSWER))
            metadata = clean_metadata(metadata, client_address(request))

            collector = CollectingOutputChannel()
            try:
                await asyncio.wait_for(
                    on_new_message(
                        UserMessage(text, collector, sender, input_channel=self.name(),
                                    metadata=metadata)
                    ),
                    timeout=HANDLE_TIMEOUT_SECONDS,
                )
            except asyncio.TimeoutError:
                logger.error("Handling a message took longer than %s s (conversation %s).",
                             HANDLE_TIMEOUT_SECONDS, sender)
                return answer(bot_reply(sender, UNAVAILABLE_ANSWER))
            except CancelledError:
                logger.error("Handling a message was cancelled (conversation %s).", sender)
                return answer(bot_reply(sender, UNAVAILABLE_ANSWER))
            except Exception as error:  # any failing store or server: answer, never a stack trace
                logger.error("Handling a message failed (conversation %s): %s", sender,
                             type(error).__name__)
                return answer(bot_reply(sender, UNAVAILABLE_ANSWER))
            # Every turn of this assistant says something; silence means a part failed quietly
            # (Rasa logs and swallows a failing custom action).
            return answer(collector.messages or bot_reply(sender, UNAVAILABLE_ANSWER))

        return blueprint
