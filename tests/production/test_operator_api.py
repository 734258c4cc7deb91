"""`wegwijzer api`: Rasa's HTTP API for operators, a separate process that needs a key.

It reads the same PostgreSQL tracker store as the chat servers (a conversation stored there is
visible with the key, not without), it carries no chat channel, and it listens on 127.0.0.1.
The chat server's side (no API routes next to the chat) is checked in test_multi_server.py.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.support import production as prod
from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.timeout(1800)


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    if token:  # Rasa's token authentication reads `?token=` (JWT uses the Authorization header)
        url += ("&" if "?" in url else "?") + f"token={token}"
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError as error:  # not listening (yet)
        return 0, str(error)


def test_operator_api_needs_a_key_and_sees_the_stored_conversations(
        trained_model, prod_database, redis, key_prefix, prod_tmp):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import RedactingSQLTrackerStore

    sender = f"api-{uuid.uuid4().hex[:12]}"
    store = RedactingSQLTrackerStore(domain=Domain.empty(), dialect="postgresql", host=prod.PG_HOST,
                                     port=prod.PG_PORT, db=prod_database, username=prod.PG_USER)
    events = [ActionExecuted("action_listen"), UserUttered("Hallo", {"name": "greet", "confidence": 1.0})]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, [])))
    store.engine.dispose()

    token = uuid.uuid4().hex
    port = free_port()
    env = {**prod.production_env(prod_database, key_prefix, "http://127.0.0.1:9/webhook"),
           "RASA_AUTH_TOKEN": token}
    log_path = prod_tmp / f"api-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "api", "--port", str(port), "--model", trained_model],
        cwd=ROOT, env=prod._base_env(env), stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 1200
        while _get(api + "/version")[0] != 200:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(1)
        while _get(api + "/status", token=token)[0] == 409:  # the model is still loading
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(1)
        assert _get(api + "/status")[0] == 401
        assert _get(api + f"/conversations/{sender}/tracker", token="wrong")[0] == 401
        status, body = _get(api + f"/conversations/{sender}/tracker", token=token)
        assert status == 200, body
        assert [e.get("text") for e in json.loads(body)["events"] if e["event"] == "user"] == ["Hallo"]
        assert _get(api + "/webhooks/rest/")[0] == 404, "no chat channel on the operator API"
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True)
        if listening.returncode == 0 and listening.stdout.strip():
            assert all("127.0.0.1:" in line for line in listening.stdout.splitlines()), listening.stdout
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
