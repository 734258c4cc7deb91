"""A municipality that embeds the widget on its own domain (`wegwijzer serve --cors ORIGIN`).

The browser asks the chat server first (a CORS preflight); only the origins the municipality
named may use the chat, every other website gets no permission.
"""
from __future__ import annotations

import json
import urllib.request

from tests.support.servers import EMBEDDING_ORIGIN

WEBHOOK = "/webhooks/rest/webhook"


def request(url: str, method: str, origin: str, body: bytes | None = None) -> dict[str, str]:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method, headers=headers),
                                timeout=120) as reply:
        return {key.lower(): value for key, value in reply.headers.items()}


def test_the_named_municipal_site_may_use_the_chat(served_bot, sender):
    preflight = request(served_bot.url + WEBHOOK, "OPTIONS", EMBEDDING_ORIGIN)
    assert preflight.get("access-control-allow-origin") == EMBEDDING_ORIGIN
    body = json.dumps({"sender": sender, "message": "hallo"}).encode()
    answer = request(served_bot.url + WEBHOOK, "POST", EMBEDDING_ORIGIN, body)
    assert answer.get("access-control-allow-origin") == EMBEDDING_ORIGIN


def test_another_website_gets_no_permission(served_bot, sender):
    preflight = request(served_bot.url + WEBHOOK, "OPTIONS", "https://kwaadwillend.example")
    assert "access-control-allow-origin" not in preflight
    body = json.dumps({"sender": sender, "message": "hallo"}).encode()
    answer = request(served_bot.url + WEBHOOK, "POST", "https://kwaadwillend.example", body)
    assert "access-control-allow-origin" not in answer
