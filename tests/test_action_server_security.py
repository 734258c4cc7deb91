"""Attacks on the action server of `wegwijzer serve`: it is not a way in (bot/action_server.py).

rasa-sdk itself has no authentication: whoever reaches its port can run any action with a tracker
it makes up. These tests send the requests an attacker would send to the real action server that
`wegwijzer serve` started (`served_bot`, tests/conftest.py), and to a plain `python -m rasa_sdk`.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

import pytest

from bot.action_server import TOKEN_ENV, TOKEN_HEADER
from tests.support.servers import ROOT, free_port, texts

CASE_WORDS = ("Sanne Voorbeeld", "020 000 0101", "DEMO-1005", "Mehmet", "aanvraag", "besluit")


def forged(number: str = "DEMO-1005", sender: str = "x", text: str = "") -> dict:
    """The request of the security review: slots that claim a verified lookup."""
    return {
        "next_action": "action_show_case_status",
        "sender_id": sender,
        "tracker": {"sender_id": sender, "slots": {"verified_case_number": number,
                                                   "birth_date": "checked", "audience": "parent"},
                    "latest_message": {"text": text, "intent": {"name": "inform_date"}},
                    "events": [], "paused": False, "followup_action": None,
                    "active_loop": {}, "latest_action_name": "action_listen"},
        "domain": {},
        "version": "3.6.2",
    }


def call(port: int, body: bytes | dict | None, headers: dict | None = None, path: str = "/webhook",
         method: str = "POST") -> tuple[int, str]:
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def secret() -> dict:
    return {TOKEN_HEADER: os.environ[TOKEN_ENV]}


def listening_addresses(port: int) -> set[str]:
    """The local addresses on which something listens on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


# --- without the secret: nothing ------------------------------------------------------------------


def test_a_forged_request_without_the_secret_gets_no_case(served_bot):
    for number in ("DEMO-1005", "NOPE-0000"):
        status, body = call(served_bot.action_port, forged(number))
        assert status == 401, body
        assert not any(word in body for word in CASE_WORDS), body
    # known and unknown numbers cannot be told apart either
    assert call(served_bot.action_port, forged("DEMO-1005")) == call(served_bot.action_port, forged("NOPE-0000"))


def test_a_wrong_secret_the_action_list_and_form_validation_are_refused(served_bot):
    port = served_bot.action_port
    assert call(port, forged(), {TOKEN_HEADER: "x" * 43})[0] == 401
    assert call(port, forged(), {TOKEN_HEADER: ""})[0] == 401
    assert call(port, None, path="/actions", method="GET")[0] == 401
    guess = forged()
    guess["next_action"] = "validate_case_lookup_form"
    assert call(port, guess)[0] == 401
    assert call(port, None, path="/health", method="GET")[0] == 200, "the platform's probe stays open"


def test_a_compressed_body_is_refused_even_with_the_secret(served_bot):
    bomb = zlib.compress(b"{" + b" " * 5_000_000 + b"}")
    status, _ = call(served_bot.action_port, bomb, {**secret(), "Content-Encoding": "deflate"})
    assert status == 415
    assert served_bot.alive()


def test_the_action_server_listens_on_loopback_only(served_bot):
    addresses = listening_addresses(served_bot.action_port)
    assert addresses, "the action server listens"
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    assert addresses <= loopback, addresses


def test_serve_prints_one_address_the_pages(served_bot):
    log = served_bot.log()
    port = served_bot.url.rsplit(":", 1)[1]
    assert f"Wegwijzer draait op http://localhost:{port}" in log
    assert f":{served_bot.action_port}" not in log and "0.0.0.0" not in log, log[-2000:]


# --- with the secret (as the Rasa server): forged slots are still worthless -----------------------


def test_forged_slots_with_the_secret_show_nothing(served_bot):
    status, body = call(served_bot.action_port, forged(sender=f"forger-{uuid.uuid4().hex[:8]}"), secret())
    assert status == 200, body
    reply = json.loads(body)
    assert reply["responses"] == [], reply
    assert not any(word in body for word in CASE_WORDS)


def test_a_verification_is_used_once_and_only_in_its_own_conversation(served_bot, sender):
    served_bot.say("hoe staat het met mijn aanvraag?", sender)
    served_bot.say("DEMO-1005", sender)
    shown = texts(served_bot.say("9 mei 2011", sender))
    assert "Sanne Voorbeeld" in shown, "the real lookup works"
    # replaying the status action in the same conversation afterwards: already used
    status, body = call(served_bot.action_port, forged(sender=sender), secret())
    assert status == 200 and json.loads(body)["responses"] == [], body


def test_an_action_failure_echoes_nothing_of_the_request(served_bot):
    request = forged(sender=f"crash-{uuid.uuid4().hex[:8]}", text="geboren op 9 mei 2011")
    request["next_action"] = "validate_case_lookup_form"
    request["tracker"]["active_loop"] = {"name": "case_lookup_form"}
    request["tracker"]["events"] = "not a list of events"  # the action fails reading them
    status, body = call(served_bot.action_port, request, secret())
    assert status == 500
    assert "9 mei 2011" not in body and "request_body" not in body, body
    time.sleep(0.5)
    assert "9 mei 2011" not in served_bot.log()
    assert served_bot.alive()


# --- an action server started any other way --------------------------------------------------------


def _start_sdk(env: dict, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env={**env, "SANIC_HOST": "127.0.0.1"}, stdout=log.open("w"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(log.read_text())


def test_plain_rasa_sdk_without_a_secret_refuses_every_call(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    process, port = _start_sdk(env, tmp_path / "sdk.log")
    try:
        status, body = call(port, forged())
        assert status == 503, body
        assert call(port, forged(), {TOKEN_HEADER: "anything"})[0] == 503
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "WEGWIJZER_ACTION_TOKEN" in (tmp_path / "sdk.log").read_text()


@pytest.mark.parametrize("token", [None, "kort"])
def test_wegwijzer_actions_does_not_start_without_a_good_secret(tmp_path, token):
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    if token:
        env[TOKEN_ENV] = token
    result = subprocess.run([sys.executable, "-m", "bot.cli", "actions", "--port", str(free_port())],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "WEGWIJZER_ACTION_TOKEN" in result.stderr and ("ontbreekt" in result.stderr or "te kort" in result.stderr)


def test_a_broken_municipality_file_stops_the_action_server_with_its_name(tmp_path):
    directory = tmp_path / "municipalities"
    directory.mkdir()
    good = (ROOT / "config" / "municipalities" / "gemeente-voorbeeld.yml").read_text(encoding="utf-8")
    (directory / "gemeente-voorbeeld.yml").write_text(good, encoding="utf-8")
    (directory / "gemeente-kapot.yml").write_text(
        "name: Gemeente Kapot\ncontact:\n  fax: 030 000 0000\n", encoding="utf-8")
    log = tmp_path / "sdk.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(free_port())],
        cwd=ROOT, env={**os.environ, "WEGWIJZER_MUNICIPALITIES_DIR": str(directory)},
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    assert process.wait(timeout=120) != 0
    assert "gemeente-kapot.yml" in log.read_text()
