"""The chat accepts only small JSON requests of the widget's shape, and answers are never cached.

Two levels:
- the channel in a small Sanic app of its own, with an ``on_new_message`` the test controls
  (the checks, the metadata Rasa receives, the time limit of a turn);
- the real `wegwijzer serve` (`served_bot`), for what the whole server does with large, foreign
  and hostile requests.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass

import pytest
from sanic.compat import Header

from bot.web import channel
from bot.web.channel import (
    CLIENT_ADDRESS_KEY,
    MAX_BODY_BYTES,
    UNAVAILABLE_ANSWER,
    WegwijzerRestInput,
    clean_metadata,
    client_address,
    is_json_content_type,
)
from tests.support.servers import free_port, raw_post, texts

WEBHOOK = "/webhooks/rest/webhook"
JSON = {"Content-Type": "application/json"}


# --- the rules as functions ------------------------------------------------------------------

@pytest.mark.parametrize("value, accepted", [
    ("application/json", True),
    ("application/json; charset=utf-8", True),
    ("Application/JSON;charset=UTF-8", True),
    ('application/json; charset="utf-8"', True),
    ("text/plain", False),
    ("text/plain; charset=utf-8", False),
    ("application/x-www-form-urlencoded", False),
    ("multipart/form-data; boundary=x", False),
    ("application/json; charset=latin-1", False),
    ("application/jsonp", False),
    ("application/json, text/plain", False),
    ("", False),
    (None, False),
])
def test_only_json_is_accepted(value, accepted):
    assert is_json_content_type(value) is accepted


@dataclass
class FakeRequest:
    ip: str
    headers: Header


def fake_request(ip: str = "203.0.113.7", **headers: str) -> FakeRequest:
    return FakeRequest(ip=ip, headers=Header({k.replace("_", "-"): v for k, v in headers.items()}))


def test_client_address_is_the_peer_without_a_trusted_proxy():
    request = fake_request(X_Forwarded_For="198.51.100.1", X_Real_IP="198.51.100.2")
    assert client_address(request, environ={}) == "203.0.113.7"


def test_client_address_from_x_forwarded_for_takes_the_entry_the_proxy_appended():
    environ = {"WEGWIJZER_TRUSTED_PROXY_HEADER": "X-Forwarded-For"}
    # the client forged the first two entries; the trusted proxy appended the last one
    request = fake_request(ip="10.0.0.5", X_Forwarded_For="1.2.3.4, 5.6.7.8,  192.0.2.44 ")
    assert client_address(request, environ=environ) == "192.0.2.44"
    request = fake_request(ip="10.0.0.5", x_forwarded_for="2001:db8::1")  # header names: any case
    assert client_address(request, environ=environ) == "2001:db8::1"


def test_client_address_from_x_real_ip():
    environ = {"WEGWIJZER_TRUSTED_PROXY_HEADER": "X-Real-IP"}
    assert client_address(fake_request(ip="10.0.0.5", X_Real_IP="192.0.2.9"), environ) == "192.0.2.9"


@pytest.mark.parametrize("value", [None, "", "niet-een-adres", "1.2.3.4, <script>", "x" * 500])
def test_a_missing_or_bad_proxy_header_falls_back_to_the_peer(value):
    environ = {"WEGWIJZER_TRUSTED_PROXY_HEADER": "X-Forwarded-For"}
    headers = {} if value is None else {"X_Forwarded_For": value}
    assert client_address(fake_request(ip="10.0.0.5", **headers), environ) == "10.0.0.5"


def test_the_trusted_header_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEGWIJZER_TRUSTED_PROXY_HEADER", "X-Real-IP")
    assert client_address(fake_request(ip="10.0.0.5", X_Real_IP="192.0.2.10")) == "192.0.2.10"
    monkeypatch.delenv("WEGWIJZER_TRUSTED_PROXY_HEADER")
    assert client_address(fake_request(ip="10.0.0.5", X_Real_IP="192.0.2.10")) == "10.0.0.5"


def test_metadata_keeps_only_the_widgets_keys_and_the_servers_address():
    hostile = {
        "municipality": "gemeente-voorbeeld",
        "audience": "simple",
        "client_address": "127.0.0.1",
        "__proto__": {"x": 1},
        "verified_case_number": "DEMO-1005",
        "nested": {"deep": [1, 2, {"a": "b" * 10_000}]},
    }
    assert clean_metadata(hostile, "192.0.2.1") == {
        "municipality": "gemeente-voorbeeld", "audience": "simple", CLIENT_ADDRESS_KEY: "192.0.2.1"}


@pytest.mark.parametrize("metadata", [
    {"municipality": "Gemeente Voorbeeld"},
    {"municipality": "x" * 65},
    {"municipality": "a\n"},
    {"municipality": ["gemeente-voorbeeld"]},
    {"municipality": 7},
    {"audience": "hacker"},
    {"audience": "parent\n"},
    None,
    {},
])
def test_wrong_metadata_values_are_dropped(metadata):
    assert clean_metadata(metadata, "192.0.2.1") == {CLIENT_ADDRESS_KEY: "192.0.2.1"}


# --- the channel in a small Sanic app --------------------------------------------------------

@contextlib.asynccontextmanager
async def channel_app(on_new_message):
    """The channel's blueprint in a Sanic app on a free port (as under `rasa run`, without the
    limits of bot/web/server.py); yields its base URL."""
    from sanic import Sanic

    # Test mode lets Sanic 21.12 start more than one app in a process (its start-up rewrites
    # shared methods, and only keeps the originals for a second app in test mode).
    Sanic.test_mode = True
    app = Sanic(f"bounds_{uuid.uuid4().hex[:10]}", configure_logging=False)
    # Sanic's default limit (100 MB): the channel's own size check must hold without the server's
    app.blueprint(WegwijzerRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    await server.start_serving()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.close()


async def post(url: str, body: bytes, headers: dict | None = JSON):
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(url + WEBHOOK, data=body, headers=headers or {}) as reply:
            return reply.status, dict(reply.headers), await reply.json(content_type=None)


def echo_bot(received: list):
    async def on_new_message(message):
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "Hallo!")
    return on_new_message


def run(coroutine):
    return asyncio.run(coroutine)


def message(sender="web-abc", text="hallo", **extra) -> bytes:
    return json.dumps({"sender": sender, "message": text, **extra}).encode()


def test_channel_checks_in_order():
    received: list = []

    async def scenario():
        async with channel_app(echo_bot(received)) as url:
            results = {
                "ok": await post(url, message()),
                "charset": await post(url, message(), {"Content-Type": "application/json; charset=utf-8"}),
                "text_plain": await post(url, message(), {"Content-Type": "text/plain"}),
                "form": await post(url, b"sender=x&message=y",
                                   {"Content-Type": "application/x-www-form-urlencoded"}),
                "no_type": await post(url, message(), {}),
                "newline": await post(url, message(sender="abc\n")),
                "big": await post(url, message(text="x" * 17_000)),
            }
        return results

    results = run(scenario())
    assert results["ok"][0] == 200 and results["ok"][2][0]["text"] == "Hallo!"
    assert results["charset"][0] == 200
    for name in ("text_plain", "form", "no_type"):
        status, headers, body = results[name]
        assert status == 415, name
        assert "JSON" in body["error"] and "bericht" in body["error"], body
    status, _, body = results["newline"]
    assert status == 400 and "afzender" in body["error"]
    status, _, body = results["big"]
    assert status == 413 and "te groot" in body["error"]
    assert len(received) == 2, "only the two valid requests reached the bot"
    for _, headers, _ in results.values():
        assert headers.get("Cache-Control") == "no-store"


def test_rasa_gets_clean_metadata_with_the_servers_view_of_the_address():
    received: list = []
    body = message(metadata={"municipality": "gemeente-voorbeeld", "audience": "professional",
                             "client_address": "1.1.1.1", "extra": {"a": [1] * 100}})

    async def scenario():
        async with channel_app(echo_bot(received)) as url:
            return await post(url, body, {**JSON, "X-Forwarded-For": "1.1.1.1"})

    status, _, _ = run(scenario())
    assert status == 200
    assert received[0].metadata == {"municipality": "gemeente-voorbeeld",
                                    "audience": "professional", "client_address": "127.0.0.1"}


def test_a_turn_that_hangs_gets_the_unavailable_answer_and_others_are_served(monkeypatch):
    monkeypatch.setattr(channel, "HANDLE_TIMEOUT_SECONDS", 1.0)
    cancelled: list = []

    async def on_new_message(message):
        if message.sender_id == "web-slow":
            try:
                await asyncio.sleep(3600)  # an action server that never answers
            finally:
                cancelled.append(message.sender_id)
        await message.output_channel.send_text_message(message.sender_id, "Snel antwoord.")

    async def scenario():
        async with channel_app(on_new_message) as url:
            start = time.monotonic()

            async def timed(sender):
                result = await post(url, message(sender=sender))
                return result, time.monotonic() - start

            slow, fast = await asyncio.gather(timed("web-slow"), timed("web-fast"))
            after = await post(url, message(sender="web-after"))
        return slow, fast, after

    (slow, slow_seconds), (fast, fast_seconds), after = run(scenario())
    assert slow[0] == 200 and slow[2] == [{"recipient_id": "web-slow", "text": UNAVAILABLE_ANSWER}]
    assert 0.9 <= slow_seconds < 10
    assert fast[2][0]["text"] == "Snel antwoord." and fast_seconds < slow_seconds
    assert after[2][0]["text"] == "Snel antwoord."
    assert cancelled == ["web-slow"], "the hanging turn is cancelled, not left running"


def test_the_time_limit_is_25_seconds():
    assert channel.HANDLE_TIMEOUT_SECONDS == 25


# --- the real server -------------------------------------------------------------------------

def chat(served_bot, body: bytes, headers: dict | None = JSON):
    status, answer_headers, payload = raw_post(served_bot.url, WEBHOOK, body, headers)
    try:
        parsed = json.loads(payload.decode()) if payload else None
    except ValueError:
        parsed = payload.decode(errors="replace")
    return status, answer_headers, parsed


def assert_dutch_error(status, headers, body, expected_status):
    assert status == expected_status, (status, body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str), body
    assert headers.get("content-type", "").startswith("application/json")
    assert headers.get("cache-control") == "no-store"


def test_a_megabyte_of_metadata_is_refused_and_the_server_goes_on(served_bot, sender):
    body = message(sender=sender, metadata={"municipality": "gemeente-voorbeeld",
                                            "x": "1 " * 500_000})
    assert len(body) > 1_000_000
    status, headers, reply = chat(served_bot, body)
    assert_dutch_error(status, headers, reply, 413)
    assert "te groot" in reply["error"]
    assert served_bot.alive()
    assert "Wegwijzer" in texts(served_bot.say("hallo", sender))


def test_a_20_kilobyte_message_is_refused(served_bot, sender):
    status, headers, reply = chat(served_bot, message(sender=sender, text="ik wil hulp " * 1700))
    assert_dutch_error(status, headers, reply, 413)


@pytest.mark.parametrize("headers", [
    {"Content-Type": "text/plain"},
    {"Content-Type": "text/plain;charset=UTF-8"},  # what fetch() sends for a string body
    {},
])
def test_a_body_that_is_not_declared_json_is_refused(served_bot, sender, headers):
    status, answer_headers, reply = chat(served_bot, message(sender=sender), headers)
    assert_dutch_error(status, answer_headers, reply, 415)
    assert "JSON" in reply["error"]


def test_a_sender_id_with_a_trailing_newline_is_refused(served_bot):
    status, headers, reply = chat(served_bot, message(sender="abc\n"))
    assert_dutch_error(status, headers, reply, 400)


def test_hostile_metadata_keys_do_not_break_anything(served_bot, sender):
    body = message(sender=sender, text="hallo", metadata={
        "municipality": "gemeente-voorbeeld",
        "client_address": "127.0.0.1",
        "__class__": "x",
        "slots": {"verified_case_number": "DEMO-1005", "birth_date": "checked"},
        "session_started_metadata": [{"deep": {"deeper": ["1 " * 1000]}}],
    })
    status, headers, reply = chat(served_bot, body)
    assert status == 200, reply
    assert "Wegwijzer" in texts(reply)
    assert headers.get("cache-control") == "no-store"
    assert "Wegwijzer" in texts(served_bot.say("hallo", sender))


def test_chat_answers_are_not_cached(served_bot, sender):
    status, headers, reply = chat(served_bot, message(sender=sender, text="Wat is de Wmo?"))
    assert status == 200 and texts(reply)
    assert headers.get("cache-control") == "no-store"


def test_the_demo_page_talks_only_to_its_own_origin(served_bot):
    import urllib.request

    with urllib.request.urlopen(served_bot.url + "/", timeout=30) as reply:
        policy = reply.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "connect-src *" not in policy


def test_a_path_outside_static_is_refused_without_a_traceback(served_bot):
    import socket

    host, port = served_bot.url.rsplit("//", 1)[1].split(":")
    before = len(served_bot.log())
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /static/..%2f..%2fpyproject.toml HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.split(b" ", 2)[1] == b"404"
    time.sleep(0.5)
    log = served_bot.log()[before:]
    assert "File not found" in log, "the refusal is still logged"
    assert "Traceback" not in log
