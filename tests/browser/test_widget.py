"""The demo page and the chat widget in headless Chromium, against the real `wegwijzer serve`."""
from __future__ import annotations

import json

import pytest

from tests.browser.helpers import (
    BOT_MESSAGES,
    INPUT,
    LAUNCHER,
    LOG,
    PANEL,
    USER_MESSAGES,
    WEBHOOK_GLOB,
    ask,
    axe_problems,
    count,
    horizontal_overflow,
    last_bot_text,
    looks_dutch,
    new_page,
    open_chat,
    stored_state,
    wait_for_bot,
    wait_idle,
)
from tests.support.servers import EMBEDDING_ORIGIN

QUESTION = "Waar moet ik beginnen om hulp te krijgen?"
# answered with a statement, not a question, so the widget asks for a rating
RATED_QUESTION = "Wat is de Wlz?"
UNREACHABLE = ("De chat is nu niet bereikbaar. Uw tekst staat nog in het invoerveld. "
               "Probeer het zo opnieuw.")


def audience_button(page, name: str):
    return page.get_by_role("group", name="Hoe wilt u de antwoorden?").get_by_role(
        "button", name=name, exact=True)


def webhook_bodies(page) -> list[dict]:
    """Record the JSON bodies the widget posts to the REST channel."""
    bodies: list[dict] = []

    def record(request):
        if request.url.endswith("/webhooks/rest/webhook") and request.method == "POST":
            bodies.append(json.loads(request.post_data or "{}"))

    page.on("request", record)
    return bodies


# --- the page --------------------------------------------------------------------------------

def test_page_loads_with_the_launcher(page):
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert "Gemeente Voorbeeld" in page.title()
    assert page.get_by_text("Dit is een voorbeeldpagina").is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "Zorg en ondersteuning"
    for name in ("Wmo", "Jeugdhulp", "Contact"):
        assert page.get_by_role("heading", name=name).count() >= 1
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("banner").count() == 1
    assert page.get_by_role("contentinfo").count() == 1
    assert page.get_by_role("link", name="Naar de inhoud").count() == 1

    launcher = page.get_by_role("button", name="Chat met Wegwijzer")
    assert launcher.is_visible()
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.locator(PANEL).is_hidden()
    # the stylesheet applies (position: fixed), and the script came from /static
    assert page.locator(LAUNCHER).evaluate("el => getComputedStyle(el).position") == "fixed"


def test_the_panel_has_labelled_controls(page):
    open_chat(page)
    dialog = page.get_by_role("dialog", name="Wegwijzer")
    assert dialog.is_visible()
    assert dialog.get_attribute("aria-modal") == "false"
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert page.get_by_role("textbox", name="Uw vraag").is_visible()
    assert page.get_by_role("button", name="Versturen").is_visible()
    assert page.get_by_role("button", name="Chat sluiten").is_visible()
    assert page.get_by_role("button", name="Gesprek wissen").is_visible()
    for name in ("Ouder of verzorger", "Eenvoudige taal", "Ik ben professional"):
        assert audience_button(page, name).get_attribute("aria-pressed") in ("true", "false")
    assert audience_button(page, "Ouder of verzorger").get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="Grotere tekst").get_attribute("aria-pressed") == "false"
    assert page.get_by_text(
        "Typ geen persoonsgegevens, zoals uw naam of geboortedatum, tenzij de chat erom vraagt."
    ).is_visible()
    assert page.get_by_role("button", name="Chat met Wegwijzer").get_attribute(
        "aria-expanded") == "true"
    # the greeting came from the bot, without a user bubble for "/greet"
    assert looks_dutch(last_bot_text(page))
    assert count(page, USER_MESSAGES) == 0


# --- axe-core --------------------------------------------------------------------------------

def test_axe_chat_closed(page):
    assert axe_problems(page) == []


def test_axe_chat_open_parent_and_simple(page):
    open_chat(page)
    ask(page, QUESTION)
    assert audience_button(page, "Ouder of verzorger").get_attribute("aria-pressed") == "true"
    assert axe_problems(page) == [], "parent audience"

    before = count(page, BOT_MESSAGES)
    audience_button(page, "Eenvoudige taal").click()
    wait_for_bot(page, before)
    assert page.locator(".wgw-toggle[data-audience=simple]").get_attribute("aria-pressed") == "true"
    ask(page, QUESTION)
    assert axe_problems(page) == [], "simple audience"

    page.get_by_role("button", name="Grotere tekst").click()
    assert axe_problems(page) == [], "larger text"


def test_axe_phone(phone_page):
    assert axe_problems(phone_page) == [], "closed"
    open_chat(phone_page)
    ask(phone_page, QUESTION)
    assert axe_problems(phone_page) == [], "open"


# --- keyboard only ---------------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate(
        "() => { const el = document.activeElement; return {"
        " tag: el.tagName, cls: el.className || '', text: (el.textContent || '').trim(),"
        " inLastButtons: !!el.closest('.wgw-buttons') &&"
        "   el.closest('.wgw-buttons') ==="
        "   [...document.querySelectorAll('.wgw-log .wgw-buttons')].pop(),"
        " shadow: getComputedStyle(el).boxShadow, outline: getComputedStyle(el).outlineStyle }; }"
    )


def test_keyboard_only_user(page):
    keyboard = page.keyboard
    # Tab from the top of the page to the launcher
    for _ in range(40):
        keyboard.press("Tab")
        if "wgw-launcher" in focused(page)["cls"]:
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    assert focused(page)["shadow"] != "none", "the launcher has no visible focus"

    keyboard.press("Enter")
    wait_for_bot(page, 0)
    assert page.locator(PANEL).is_visible()
    assert "wgw-input" in focused(page)["cls"], "focus did not move to the input on open"

    keyboard.type(QUESTION)
    before = count(page, BOT_MESSAGES)
    keyboard.press("Enter")
    wait_for_bot(page, before)
    answer = last_bot_text(page)
    assert looks_dutch(answer), answer
    assert page.locator(USER_MESSAGES).last.inner_text().endswith(QUESTION)
    assert page.locator(INPUT).input_value() == ""

    # Shift+Tab back from the input to a quick reply of the last answer
    for _ in range(15):
        keyboard.press("Shift+Tab")
        now = focused(page)
        if now["inLastButtons"] and "wgw-choice" in now["cls"]:
            break
    else:
        pytest.fail("no quick-reply button of the answer is reachable with the keyboard")
    assert now["tag"] == "BUTTON"
    assert now["shadow"] != "none", "the quick reply has no visible focus"
    choice = now["text"]

    before = count(page, BOT_MESSAGES)
    keyboard.press("Enter")
    wait_for_bot(page, before)
    assert page.locator(USER_MESSAGES).last.inner_text().endswith(choice)
    assert looks_dutch(last_bot_text(page))
    # the chosen group is disabled now, and focus is still in the chat
    chosen = page.locator(".wgw-buttons .wgw-chosen")
    assert chosen.last.is_disabled()
    assert page.evaluate("() => !!document.activeElement.closest('.wgw-panel')")

    keyboard.press("Escape")
    assert page.locator(PANEL).is_hidden()
    assert "wgw-launcher" in focused(page)["cls"], "focus did not return to the launcher"
    assert page.locator(LAUNCHER).get_attribute("aria-expanded") == "false"

    # Enter on the launcher opens the same conversation again
    keyboard.press("Enter")
    assert page.locator(PANEL).is_visible()
    assert count(page, USER_MESSAGES) == 2


def test_shift_enter_makes_a_new_line(page):
    open_chat(page)
    before = count(page, USER_MESSAGES)
    page.locator(INPUT).focus()
    page.keyboard.type("regel een")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("regel twee")
    assert page.locator(INPUT).input_value() == "regel een\nregel twee"
    assert count(page, USER_MESSAGES) == before


# --- small screens and zoom ------------------------------------------------------------------

def panel_box(page) -> dict:
    return page.locator(PANEL).bounding_box()


def test_phone_viewport(phone_page):
    page = phone_page
    assert horizontal_overflow(page) <= 0
    open_chat(page)
    ask(page, QUESTION)
    assert horizontal_overflow(page) <= 0
    box = panel_box(page)
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= 360 + 0.5
    assert box["y"] + box["height"] <= 740 + 0.5
    assert box["width"] >= 359, "the panel is full-screen on a phone"
    # nothing inside the panel is wider than the panel
    assert page.evaluate(
        "() => { const p = document.querySelector('.wgw-panel');"
        " const r = p.getBoundingClientRect();"
        " return [...p.querySelectorAll('*')].filter(el => el.getClientRects().length &&"
        " el.getBoundingClientRect().right > r.right + 1).map(el => el.className); }"
    ) == []
    for name in ("Uw vraag",):
        assert page.get_by_role("textbox", name=name).is_visible()
    assert page.get_by_role("button", name="Versturen").is_visible()
    page.get_by_role("button", name="Chat sluiten").click()
    assert page.locator(PANEL).is_hidden()


@pytest.mark.parametrize("viewport", [
    {"width": 320, "height": 568},   # the 320 px of WCAG 1.4.10 (reflow)
    {"width": 640, "height": 400},   # a 1280x800 screen at 200 % zoom
])
def test_reflow_at_320px_and_200_percent_zoom(browser, site_url, viewport):
    page = new_page(browser, viewport=viewport)
    try:
        page.goto(site_url + "/")
        assert horizontal_overflow(page) <= 0
        open_chat(page)
        page.get_by_role("button", name="Grotere tekst").click()
        ask(page, QUESTION)
        assert horizontal_overflow(page) <= 0
        box = panel_box(page)
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 0.5
        # the input and the send button stay on screen
        for locator in (page.locator(INPUT), page.get_by_role("button", name="Versturen")):
            b = locator.bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= viewport["width"] + 0.5
            assert b["y"] + b["height"] <= viewport["height"] + 0.5
        assert not page.problems.errors, page.problems.errors
    finally:
        page.context.close()


# --- text is text ----------------------------------------------------------------------------

def test_typed_html_is_shown_as_text(page):
    open_chat(page)
    html = '<img src=x onerror="window.__wgwXss=1"><b>vet</b>'
    ask(page, html)
    bubble = page.locator(USER_MESSAGES).last
    assert bubble.locator(".wgw-msg-text").inner_text() == html
    assert page.locator(f"{LOG} img, {LOG} b, {LOG} script").count() == 0
    assert page.evaluate("() => window.__wgwXss") is None


def test_bot_text_is_rendered_as_text_with_safe_links(page):
    """Bot messages: HTML stays text, line breaks stay, only http(s) URLs become links."""
    open_chat(page)
    reply = [{
        "recipient_id": "x",
        "text": ('Regel een <img src=x onerror="window.__wgwXss=2">\nRegel twee: '
                 "https://www.rijksoverheid.nl/onderwerpen/jeugdhulp. "
                 "Niet: javascript:alert(1), ftp://example.org of "
                 '<a href="javascript:alert(2)">klik</a>'),
        "buttons": [{"title": "<b>Knop</b>", "payload": "/info_wmo"}],
    }]
    page.route(WEBHOOK_GLOB, lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(reply)))
    ask(page, "Test")
    page.unroute(WEBHOOK_GLOB)
    message = page.locator(BOT_MESSAGES).last
    text = message.locator(".wgw-msg-text").inner_text()
    assert "<img src=x" in text and "\nRegel twee" in text
    assert '<a href="javascript:alert(2)">klik</a>' in text
    assert page.locator(f"{LOG} img").count() == 0
    assert page.evaluate("() => window.__wgwXss") is None
    links = message.locator("a")
    assert links.count() == 1, "only the https URL becomes a link (not javascript:, ftp:, <a>)"
    assert links.first.get_attribute("href") == "https://www.rijksoverheid.nl/onderwerpen/jeugdhulp"
    assert links.first.get_attribute("target") == "_blank"
    assert set(links.first.get_attribute("rel").split()) == {"noopener", "noreferrer"}
    assert page.get_by_role("button", name="<b>Knop</b>").count() == 1


# --- conversation kept in the tab ------------------------------------------------------------

def test_reload_keeps_the_conversation_and_clear_empties_it(page):
    open_chat(page)
    ask(page, QUESTION)
    sender = stored_state(page)["sender"]
    bots = count(page, BOT_MESSAGES)
    assert page.evaluate("() => document.cookie") == ""
    assert page.evaluate("() => localStorage.length") == 0

    page.reload()
    assert page.locator(PANEL).is_hidden()
    page.locator(LAUNCHER).click()
    wait_idle(page)
    assert count(page, BOT_MESSAGES) == bots, "the conversation was not restored"
    assert page.locator(USER_MESSAGES).last.inner_text().endswith(QUESTION)
    assert stored_state(page)["sender"] == sender
    assert page.locator(".wgw-buttons button:disabled").count() >= 1  # chosen/closed stay closed

    page.get_by_role("button", name="Gesprek wissen").click()
    wait_idle(page)
    assert count(page, USER_MESSAGES) == 0
    assert QUESTION not in page.locator(LOG).inner_text()
    assert page.get_by_text("Het gesprek is gewist.").is_visible()
    state = stored_state(page)
    assert state["sender"] != sender, "a cleared conversation starts with a new sender id"
    assert not any(m.get("text") == QUESTION for m in state["messages"])

    # a new tab (a new browser context here) does not see the conversation
    other = new_page(page.context.browser)
    try:
        other.goto(page.url)
        assert stored_state(other) == {}
    finally:
        other.context.close()


# --- the server cannot be reached -----------------------------------------------------------

def test_unreachable_server_shows_an_error_and_keeps_the_text(page):
    open_chat(page)
    page.route(WEBHOOK_GLOB, lambda route: route.abort("connectionrefused"))
    page.locator(INPUT).fill(QUESTION)
    page.locator(INPUT).press("Enter")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == UNREACHABLE
    assert page.locator(f"{LOG} [role=alert]").count() == 1, "the error is shown in the log"
    assert page.locator(INPUT).input_value() == QUESTION
    assert page.locator(LOG).get_attribute("aria-busy") == "false"
    assert count(page, USER_MESSAGES) == 0, "an unsent question is not shown as sent"

    # a server error (HTTP 500) is treated the same
    page.unroute(WEBHOOK_GLOB)
    page.route(WEBHOOK_GLOB, lambda route: route.fulfill(status=500, body="kapot"))
    page.locator(INPUT).press("Enter")
    page.get_by_role("alert").wait_for()
    assert page.locator(INPUT).input_value() == QUESTION

    # back online: the same text is sent, the error goes, the input is emptied
    page.unroute(WEBHOOK_GLOB)
    before = count(page, BOT_MESSAGES)
    page.locator(INPUT).press("Enter")
    wait_for_bot(page, before)
    assert page.get_by_role("alert").count() == 0
    assert page.locator(INPUT).input_value() == ""
    assert page.locator(USER_MESSAGES).last.inner_text().endswith(QUESTION)


# --- what the widget sends -------------------------------------------------------------------

def test_requests_carry_the_municipality_and_audience_switch(page):
    bodies = webhook_bodies(page)
    open_chat(page)
    assert bodies[0]["message"] == "/greet"
    ask(page, QUESTION)
    assert all(b["metadata"] == {"municipality": "gemeente-voorbeeld"} for b in bodies)
    assert len({b["sender"] for b in bodies}) == 1

    before = count(page, BOT_MESSAGES)
    audience_button(page, "Ik ben professional").click()
    wait_for_bot(page, before)
    assert bodies[-1]["message"] == '/set_audience{"audience":"professional"}'
    pressed = page.locator(".wgw-audience .wgw-toggle[aria-pressed=true]")
    assert pressed.count() == 1 and pressed.inner_text() == "Ik ben professional"

    before = count(page, BOT_MESSAGES)
    audience_button(page, "Ouder of verzorger").click()
    wait_for_bot(page, before)
    assert bodies[-1]["message"] == '/set_audience{"audience":"parent"}'
    assert count(page, USER_MESSAGES) == 1, "the switch is not shown as a user message"


def test_feedback_prompt(page):
    bodies = webhook_bodies(page)
    open_chat(page)
    # the greeting asks a question: no rating prompt
    assert page.get_by_text("Had u hier iets aan?").count() == 0
    ask(page, RATED_QUESTION)
    assert not last_bot_text(page).rstrip().endswith("?"), last_bot_text(page)
    prompt = page.get_by_role("group", name="Had u hier iets aan?")
    assert prompt.count() == 1
    users = count(page, USER_MESSAGES)
    prompt.get_by_role("button", name="Ja").click()
    page.get_by_text("Bedankt voor uw reactie.").wait_for()
    assert bodies[-1]["message"] == '/feedback{"helpful":"yes"}'
    assert count(page, USER_MESSAGES) == users, "feedback is not shown as a user message"
    assert page.get_by_role("group", name="Had u hier iets aan?").count() == 0

    ask(page, "Wat is de Wmo?")
    ask(page, "Wat is de Jeugdwet?")
    assert page.get_by_role("group", name="Had u hier iets aan?").count() <= 1, \
        "only one open feedback prompt at a time"


def test_a_no_offers_a_person_of_the_municipality(page):
    bodies = webhook_bodies(page)
    open_chat(page)
    ask(page, RATED_QUESTION)
    page.get_by_role("group", name="Had u hier iets aan?").get_by_role("button", name="Nee").click()
    page.get_by_text("Bedankt voor uw reactie.").wait_for()
    assert bodies[-1]["message"] == '/feedback{"helpful":"no"}'
    page.get_by_text("Wilt u iemand van de gemeente spreken?").wait_for()
    before = count(page, BOT_MESSAGES)
    page.get_by_role("button", name="Ja, iemand spreken").click()
    wait_for_bot(page, before)
    assert bodies[-1]["message"] == "/request_human"
    assert "gemeente" in last_bot_text(page).lower()


def test_larger_text(page):
    open_chat(page)
    button = page.get_by_role("button", name="Grotere tekst")

    def size() -> float:
        return page.locator(LOG).evaluate("el => parseFloat(getComputedStyle(el).fontSize)")

    normal = size()
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    assert size() >= normal * 1.2
    page.reload()
    page.locator(LAUNCHER).click()
    assert page.get_by_role("button", name="Grotere tekst").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="Grotere tekst").click()
    assert size() == normal


# --- embedding with one script tag -----------------------------------------------------------

EMBED_PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8">
<title>Gemeente Anders</title>
<script src="/static/wegwijzer-chat.js" defer data-municipality="gemeente-anders"
        data-audience="simple"></script></head>
<body><main><h1>Gemeente Anders</h1><p>Een andere pagina.</p></main></body></html>"""


def test_one_script_tag_is_enough(browser, site_url):
    """Another page embeds the widget with only the script tag: it adds its own stylesheet,
    reads data-municipality and starts in data-audience."""
    page = new_page(browser)
    try:
        page.route(site_url + "/andere-gemeente", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=EMBED_PAGE))
        bodies = webhook_bodies(page)
        page.goto(site_url + "/andere-gemeente")
        launcher = page.get_by_role("button", name="Chat met Wegwijzer")
        launcher.wait_for()
        assert page.locator('link[rel=stylesheet][href$="/static/wegwijzer-chat.css"]').count() == 1
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('.wgw-launcher')).position === 'fixed'")
        open_chat(page)
        assert [b["message"] for b in bodies[:2]] == [
            '/set_audience{"audience":"simple"}', "/greet"]
        assert all(b["metadata"] == {"municipality": "gemeente-anders"} for b in bodies)
        assert count(page, BOT_MESSAGES) == 1, "the silent audience message shows no answer"
        assert page.locator(".wgw-toggle[data-audience=simple]").get_attribute(
            "aria-pressed") == "true"
        assert not page.problems.errors, page.problems.errors
    finally:
        page.context.close()


# --- a municipal site on another domain (`wegwijzer serve --cors ORIGIN`) ---------------------


def _page_on(browser, site_url: str, origin: str):
    """A page served from ``origin`` that embeds the widget from the Wegwijzer server."""
    html = f"""<!doctype html><html lang="nl"><head><meta charset="utf-8">
<title>Gemeente Voorbeeld</title>
<script src="{site_url}/static/wegwijzer-chat.js" defer data-server="{site_url}"
        data-municipality="gemeente-voorbeeld"></script></head>
<body><main><h1>Gemeente Voorbeeld</h1><p>De website van de gemeente.</p></main></body></html>"""
    page = new_page(browser)
    page.route(origin + "/", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=html))
    page.goto(origin + "/")
    return page


def test_the_widget_works_on_the_municipalitys_own_domain(browser, site_url):
    page = _page_on(browser, site_url, EMBEDDING_ORIGIN)
    try:
        open_chat(page)
        ask(page, "Wat is een beschikking?")
        assert looks_dutch(last_bot_text(page)), last_bot_text(page)
        assert not page.problems.errors, page.problems.errors
    finally:
        page.context.close()


def test_a_site_the_municipality_did_not_name_cannot_use_the_chat(browser, site_url):
    page = _page_on(browser, site_url, "https://kwaadwillend.example")
    try:
        page.locator(LAUNCHER).click()
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert "niet bereikbaar" in alert.inner_text()
        assert count(page, BOT_MESSAGES) == 0
    finally:
        page.context.close()
