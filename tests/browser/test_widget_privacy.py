"""The widget keeps nothing sensitive in the browser: a case lookup in headless Chromium.

The bot marks the private turns with custom JSON messages: `{"wegwijzer_private": "next_input"}`
with the two lookup questions (the answer, a case number or a birth date, is kept masked) and
`{"wegwijzer_private": "reply"}` with the case status (none of it is kept). What the widget keeps
in sessionStorage is read back here as a whole, the way any other script on the page could.
"""
from __future__ import annotations

import json

from tests.browser.helpers import (
    BOT_MESSAGES,
    INPUT,
    LAUNCHER,
    LOG,
    USER_MESSAGES,
    WEBHOOK_GLOB,
    ask,
    count,
    new_page,
    open_chat,
    stored_state,
    wait_for_bot,
    wait_idle,
)

CASE_NUMBER = "DEMO-1003"
BIRTH_DATE = "30-11-1990"
CONTACT = ("Mehmet Demir-Demo", "030 000 0201")
MASK = "\u2022" * 6
PLACEHOLDER = "(Het antwoord over uw zaak is niet bewaard.)"
QUESTION = "Waar moet ik beginnen om hulp te krijgen?"
THIRTY_ONE_MINUTES_MS = 31 * 60 * 1000


def everything_stored(page) -> str:
    """All of this origin's sessionStorage, keys and values, as one string."""
    return page.evaluate(
        "() => { const all = {}; for (let i = 0; i < sessionStorage.length; i++) {"
        " const key = sessionStorage.key(i); all[key] = sessionStorage.getItem(key); }"
        " return JSON.stringify(all); }"
    )


def bot_texts_from(page, index: int) -> list[str]:
    bubbles = page.locator(BOT_MESSAGES)
    return [bubbles.nth(i).locator(".wgw-msg-text").inner_text()
            for i in range(index, bubbles.count())]


def test_a_case_lookup_leaves_no_case_number_birth_date_or_status_in_storage(page):
    open_chat(page)
    ask(page, "Hoe staat het met mijn aanvraag?")
    assert "zaaknummer" in page.locator(BOT_MESSAGES).last.inner_text().lower()
    ask(page, CASE_NUMBER)
    assert "geboortedatum" in page.locator(BOT_MESSAGES).last.inner_text().lower()
    before = count(page, BOT_MESSAGES)
    ask(page, BIRTH_DATE)
    status_texts = bot_texts_from(page, before)
    shown = "\n".join(status_texts)
    assert CONTACT[0] in shown, "the status was shown (this test needs a successful lookup)"

    # on screen, during this page view, everything is as typed and answered
    users = [page.locator(USER_MESSAGES).nth(i).inner_text() for i in range(count(page, USER_MESSAGES))]
    assert any(CASE_NUMBER in text for text in users) and any(BIRTH_DATE in text for text in users)

    stored = everything_stored(page)
    assert CASE_NUMBER not in stored and CASE_NUMBER.lower() not in stored
    assert BIRTH_DATE not in stored and "30 november" not in stored
    for secret in CONTACT:
        assert secret not in stored
    for text in status_texts:
        for line in filter(None, (part.strip() for part in text.splitlines())):
            if len(line) > 20:
                assert line not in stored, f"status text kept in sessionStorage: {line!r}"
    state = stored_state(page)
    user_texts = [m["text"] for m in state["messages"] if m["type"] == "user"]
    assert user_texts[-2:] == [MASK, MASK], user_texts
    assert "Hoe staat het met mijn aanvraag?" in user_texts, "ordinary messages are kept"
    assert [m["text"] for m in state["messages"]].count(PLACEHOLDER) == 1

    # after a reload the tab shows the masked answers and the placeholder, nothing else of it
    page.reload()
    page.locator(LAUNCHER).click()
    wait_idle(page)
    log = page.locator(LOG).inner_text()
    assert CASE_NUMBER not in log and BIRTH_DATE not in log and CONTACT[0] not in log
    assert PLACEHOLDER in log
    assert page.locator(USER_MESSAGES).filter(has_text=MASK).count() == 2
    # the conversation goes on as before
    ask(page, "Wat is de Wmo?")
    assert any(m.get("text") == "Wat is de Wmo?" for m in stored_state(page)["messages"])


def test_private_markers_as_the_widget_reads_them(page):
    """The widget's handling of the markers, with the server's answers given by the test: a
    custom-only message makes no bubble, a marker applies to one answer only."""
    open_chat(page)
    replies = [
        [{"recipient_id": "x", "text": "Wat is het zaaknummer?"},
         {"recipient_id": "x", "custom": {"wegwijzer_private": "next_input"}}],
        [{"recipient_id": "x", "custom": {"wegwijzer_private": "reply"}},
         {"recipient_id": "x", "text": "Uw zaak: geheime stap."},
         {"recipient_id": "x", "text": "Contact: geheime persoon.",
          "buttons": [{"title": "Verder", "payload": "/affirm"}]}],
        [{"recipient_id": "x", "text": "Gewoon antwoord."}],
    ]
    page.route(WEBHOOK_GLOB, lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(replies.pop(0))))
    bubbles = count(page, BOT_MESSAGES)
    ask(page, "eerste vraag")
    assert count(page, BOT_MESSAGES) == bubbles + 1, "the custom message makes no bubble"
    ask(page, "ABC-99999")
    assert page.locator(USER_MESSAGES).last.inner_text().endswith("ABC-99999"), "shown as typed"
    assert "geheime stap" in page.locator(LOG).inner_text()
    ask(page, "tweede vraag")
    page.unroute(WEBHOOK_GLOB)

    stored = everything_stored(page)
    assert "ABC-99999" not in stored and "geheime" not in stored
    state = stored_state(page)
    texts = [(m["type"], m["text"]) for m in state["messages"]]
    # one placeholder for the whole private reply; the marker held for one turn only
    assert texts[-6:] == [
        ("user", "eerste vraag"), ("bot", "Wat is het zaaknummer?"),
        ("user", MASK), ("bot", PLACEHOLDER),
        ("user", "tweede vraag"), ("bot", "Gewoon antwoord."),
    ], texts
    assert state["privateNext"] is False


def test_the_stored_conversation_expires_after_30_minutes(page):
    open_chat(page)
    ask(page, QUESTION)
    state = stored_state(page)
    assert state["messages"] and abs(state["t"] - page.evaluate("Date.now()")) < 60_000
    old_sender = state["sender"]

    # 29 minutes of silence: the conversation is still there after a reload
    page.evaluate(
        "(ms) => { for (let i = 0; i < sessionStorage.length; i++) {"
        " const key = sessionStorage.key(i); if (key.includes(':large')) continue;"
        " const s = JSON.parse(sessionStorage.getItem(key));"
        " if (s && s.messages) { s.t = Date.now() - ms; sessionStorage.setItem(key, JSON.stringify(s)); } } }",
        29 * 60 * 1000,
    )
    page.reload()
    assert stored_state(page)["sender"] == old_sender

    # 31 minutes: gone, from storage and from the screen; a new conversation starts
    page.evaluate(
        "(ms) => { for (let i = 0; i < sessionStorage.length; i++) {"
        " const key = sessionStorage.key(i); if (key.includes(':large')) continue;"
        " const s = JSON.parse(sessionStorage.getItem(key));"
        " if (s && s.messages) { s.t = Date.now() - ms; sessionStorage.setItem(key, JSON.stringify(s)); } } }",
        THIRTY_ONE_MINUTES_MS,
    )
    page.reload()
    assert stored_state(page) == {}, "the expired conversation was removed on load"
    assert QUESTION not in everything_stored(page)
    open_chat(page)
    assert count(page, USER_MESSAGES) == 0
    assert QUESTION not in page.locator(LOG).inner_text()
    assert stored_state(page)["sender"] != old_sender


def test_an_open_page_forgets_the_conversation_after_30_quiet_minutes(browser, site_url):
    page = new_page(browser)
    try:
        page.clock.install()
        page.goto(site_url + "/")
        open_chat(page)
        ask(page, QUESTION)
        assert stored_state(page)["messages"]
        page.clock.fast_forward("31:00")
        page.get_by_text("Het gesprek is gewist, omdat het 30 minuten stil was.").wait_for()
        assert stored_state(page) == {}
        assert QUESTION not in page.locator(LOG).inner_text()
        # typing again works, in a new conversation
        before = count(page, BOT_MESSAGES)
        page.locator(INPUT).fill("Wat is de Wmo?")
        page.locator(INPUT).press("Enter")
        wait_for_bot(page, before)
        assert stored_state(page)["messages"]
        assert not page.problems.errors, page.problems.errors
    finally:
        page.context.close()
