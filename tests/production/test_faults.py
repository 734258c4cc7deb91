"""Faults (issue 7): PostgreSQL down, Redis down, the action server killed.

One production Rasa server and one action server against this run's PostgreSQL database and Redis
key prefix. For each fault the user gets the channel's short Dutch "even niet beschikbaar" answer
(HTTP 200, never a 500 or an empty list), the failed turn leaves nothing in the tracker store,
and service comes back by itself once the service is back: the next turn goes on from the stored
state (the audience chosen before the fault still holds).

PostgreSQL and Redis are stopped and started with the machine's own commands
(tests/support/production.py) for a few seconds only, always restarted in a `finally`, and these
tests run at the very end of the suite (marker `service_outage`, tests/production/conftest.py).
"""
from __future__ import annotations

import time
import uuid

import pytest

from bot.web.channel import UNAVAILABLE_ANSWER
from tests.support import production as prod
from tests.support.servers import free_port, texts

pytestmark = [pytest.mark.service_outage, pytest.mark.timeout(2400)]

#: A fault must be answered quickly, not after a hanging request.
MAX_FAULT_ANSWER_SECONDS = 15


@pytest.fixture(scope="module")
def setup(trained_model, prod_database, redis, key_prefix, prod_tmp):
    port = free_port()
    env = prod.production_env(prod_database, key_prefix, f"http://127.0.0.1:{port}/webhook")
    actions = prod.start_actions(prod_tmp, env, port)
    bot = prod.launch_production_bot(prod_tmp, trained_model, env)
    state = {"actions": actions, "env": env, "tmp": prod_tmp}
    try:
        prod.wait_healthy(bot)
        state["bot"] = bot
        state["responses"] = prod.Responses(prod.model_domain(trained_model))
        yield state
    finally:
        prod.stop_production_bot(bot)
        prod.stop_actions(state["actions"])


@pytest.fixture
def sender() -> str:
    return f"fault-{uuid.uuid4().hex[:12]}"


def _simple_conversation(setup, sender) -> None:
    """A conversation with state worth keeping: the simple audience."""
    bot = setup["bot"]
    assert texts(bot.say("Hallo", sender)) != UNAVAILABLE_ANSWER
    chosen = bot.say('/set_audience{"audience":"simple"}', sender)
    assert chosen[0]["text"].strip() in setup["responses"].variants("utter_audience_set", "simple")


def _unavailable(bot, text, sender) -> float:
    started = time.monotonic()
    status, reply = bot.post(text, sender, timeout=60)
    elapsed = time.monotonic() - started
    assert status == 200, f"HTTP {status}: {reply}"
    assert reply == [{"recipient_id": sender, "text": UNAVAILABLE_ANSWER}], reply
    assert elapsed < MAX_FAULT_ANSWER_SECONDS, f"the failure answer took {elapsed:.1f} s"
    return elapsed


def _still_simple(setup, sender, question="Waar moet ik beginnen?") -> None:
    reply = setup["bot"].say(question, sender)
    assert texts(reply) != UNAVAILABLE_ANSWER, setup["bot"].log()[-3000:]
    assert setup["responses"].audience_of(reply[0]["text"]) == {"simple"}, texts(reply)


def _user_texts(db_name: str, sender: str) -> list[str]:
    return [e.get("text") for e in prod.stored_events(db_name, sender) if e["event"] == "user"]


def test_postgres_down_gives_the_dutch_answer_and_service_comes_back(setup, sender, prod_database,
                                                                   require_service_helper):
    require_service_helper("pg_ctlcluster (to stop PostgreSQL)", prod.pg_can_control(), "")
    _simple_conversation(setup, sender)
    bot = setup["bot"]
    try:
        prod.pg_ctl("stop")
        _unavailable(bot, "Wat is een beschikking?", sender)
        assert bot.alive(), "the Rasa server stays up (and /health does not need the database)"
    finally:
        prod.ensure_postgres_running()
    # Back by itself: the first turn after the restart works, from the stored state.
    _still_simple(setup, sender)
    # Nothing half-written: the turn during the outage is not stored at all.
    assert _user_texts(prod_database, sender) == [
        "Hallo", '/set_audience{"audience":"simple"}', "Waar moet ik beginnen?"]


def test_postgres_restart_between_turns_is_not_noticed(setup, sender, require_service_helper):
    """Pooled connections die with the server; the next turn must not be the one that finds out."""
    require_service_helper("pg_ctlcluster (to stop PostgreSQL)", prod.pg_can_control(), "")
    _simple_conversation(setup, sender)
    try:
        prod.pg_ctl("stop")
    finally:
        prod.ensure_postgres_running()
    _still_simple(setup, sender)


def test_redis_down_gives_the_dutch_answer_and_service_comes_back(setup, sender, prod_database,
                                                                require_service_helper):
    require_service_helper("redis-server and redis-cli (to stop Redis)", prod.redis_can_control(), "")
    _simple_conversation(setup, sender)
    bot = setup["bot"]
    try:
        prod.redis_stop()
        assert not prod.redis_reachable()[0]
        _unavailable(bot, "Wat is een beschikking?", sender)
        assert bot.alive()
    finally:
        prod.ensure_redis_running()
    _still_simple(setup, sender)
    assert _user_texts(prod_database, sender) == [
        "Hallo", '/set_audience{"audience":"simple"}', "Waar moet ik beginnen?"]


def test_action_server_killed_gives_a_clear_answer_and_rasa_stays_up(setup, sender):
    _simple_conversation(setup, sender)
    bot = setup["bot"]
    _still_simple(setup, sender)  # an explanation to simplify later
    prod.stop_actions(setup["actions"], kill=True)
    try:
        # "ik snap het niet" needs a custom action: the user is told it does not work right now.
        status, reply = bot.post("ik snap het niet", sender, timeout=60)
        assert status == 200 and reply, (status, reply)
        assert UNAVAILABLE_ANSWER in texts(reply), texts(reply)
        # The Rasa server is still up, and answers that need no action still work.
        assert bot.alive()
        _still_simple(setup, sender, "Welke wet geldt voor mij?")
    finally:
        setup["actions"] = prod.start_actions(setup["tmp"], setup["env"], setup["actions"].port)
    # With the action server back, the custom action works again.
    again = bot.say("ik snap het niet", sender)
    assert UNAVAILABLE_ANSWER not in texts(again), texts(again)
