"""The REST channel of the web page, with input checks and a Dutch answer when something fails.

Same URL and format as Rasa's own REST channel (`POST /webhooks/rest/webhook`, body
`{"sender": ..., "message": ..., "metadata": {...}}`, a JSON list of bot messages back), plus:

- a malformed body or sender id gets HTTP 400 with a Dutch explanation (`{"error": ...}`);
- an empty or over-long message gets a Dutch answer without reaching the model;
- control characters are removed and the text is Unicode-normalised (NFC) before NLU;
- when handling fails (tracker store, lock store or action server down) the user gets a short
  "even niet beschikbaar" answer instead of an empty list, and the message text is never logged.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
SENDER_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
CONTROL_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

EMPTY_ANSWER = "Uw bericht was leeg. Typ uw vraag, bijvoorbeeld: Waar begin ik?"
TOO_LONG_ANSWER = (
    "Uw bericht is te lang voor mij. Stel uw vraag in een paar korte zinnen. "
    "Dan kan ik u beter helpen."
)
UNAVAILABLE_ANSWER = (
    "Het lukt even niet om uw vraag te beantwoorden. Probeer het over een paar minuten opnieuw. "
    "Is het dringend? Bel dan uw gemeente."
)


def clean_text(text: str) -> str:
    return CONTROL_RE.sub("", unicodedata.normalize("NFC", text)).strip()


def bot_reply(sender: str, text: str) -> list[dict[str, Any]]:
    return [{"recipient_id": sender, "text": text}]


def bad_request(text: str) -> HTTPResponse:
    return response.json({"error": text}, status=400)


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
            try:
                body = request.json
            except Exception:  # sanic raises InvalidUsage on malformed JSON
                body = None
            if not isinstance(body, dict):
                return bad_request("Het bericht is geen geldige JSON met 'sender' en 'message'.")
            sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
            if not isinstance(sender, str) or not SENDER_RE.match(sender):
                return bad_request("De afzender ('sender') ontbreekt of is ongeldig.")
            if text is not None and not isinstance(text, str):
                return bad_request("Het veld 'message' moet tekst zijn.")
            if metadata is not None and not isinstance(metadata, dict):
                return bad_request("Het veld 'metadata' moet een object zijn.")
            text = clean_text(text or "")
            if not text:
                return response.json(bot_reply(sender, EMPTY_ANSWER))
            if len(text) > MAX_MESSAGE_CHARS:
                return response.json(bot_reply(sender, TOO_LONG_ANSWER))

            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(),
                                metadata=metadata)
                )
            except CancelledError:
                logger.error("Handling a message timed out (conversation %s).", sender)
                return response.json(bot_reply(sender, UNAVAILABLE_ANSWER))
            except Exception as error:  # any failing store or server: answer, never a stack trace
                logger.error("Handling a message failed (conversation %s): %s", sender,
                             type(error).__name__)
                return response.json(bot_reply(sender, UNAVAILABLE_ANSWER))
            # Every turn of this assistant says something; silence means a part failed quietly
            # (Rasa logs and swallows a failing custom action).
            return response.json(collector.messages or bot_reply(sender, UNAVAILABLE_ANSWER))

        return blueprint
