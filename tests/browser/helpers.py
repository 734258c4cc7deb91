"""Helpers for the browser tests: selectors, waiting for answers, axe-core, overflow."""
from __future__ import annotations

import json
import os
import re

CHROMIUM = os.environ.get("WEGWIJZER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # In the tests the Wegwijzer server runs on loopback, and a page "on a municipality's domain"
    # asking it would meet Chromium's Local Network Access block, which a real deployment (both
    # public) never meets. Without this the cross-origin tests would test that block, not CORS.
    "--disable-features=LocalNetworkAccessChecks",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
ANSWER_TIMEOUT_MS = 90_000  # the first answers of a freshly loaded model on 2 cores can be slow
WEBHOOK_GLOB = "**/webhooks/rest/webhook"

LAUNCHER = ".wgw-launcher"
PANEL = ".wgw-panel"
LOG = ".wgw-log"
INPUT = ".wgw-input"
BOT_MESSAGES = ".wgw-log .wgw-msg-bot"
USER_MESSAGES = ".wgw-log .wgw-msg-user"


class PageProblems:
    """JavaScript errors and Content-Security-Policy violations seen on a page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"CSP: {message.text}")


def new_page(browser, viewport=DESKTOP, **options):
    """A page in a fresh browser context (its own sessionStorage), with problem tracking."""
    context = browser.new_context(viewport=viewport, locale="nl-NL", **options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    return page



def count(page, selector: str) -> int:
    return page.locator(selector).count()


def wait_idle(page) -> None:
    """Wait until the widget is not waiting for the server."""
    page.wait_for_function(
        "() => { const log = document.querySelector('.wgw-log');"
        " return log && log.getAttribute('aria-busy') === 'false'; }",
        timeout=ANSWER_TIMEOUT_MS,
    )


def wait_for_bot(page, before: int) -> None:
    """Wait until there are more bot messages than `before` and the widget is idle."""
    page.wait_for_function(
        "(n) => document.querySelectorAll('.wgw-log .wgw-msg-bot').length > n"
        " && document.querySelector('.wgw-log').getAttribute('aria-busy') === 'false'",
        arg=before, timeout=ANSWER_TIMEOUT_MS,
    )


def open_chat(page) -> None:
    """Open the chat with the launcher and wait for the greeting."""
    before = count(page, BOT_MESSAGES)
    page.locator(LAUNCHER).click()
    page.locator(PANEL).wait_for(state="visible")
    if before == 0:
        wait_for_bot(page, 0)
    else:
        wait_idle(page)


def ask(page, text: str) -> None:
    """Type a question, press Enter and wait for the answer."""
    before = count(page, BOT_MESSAGES)
    page.locator(INPUT).fill(text)
    page.locator(INPUT).press("Enter")
    wait_for_bot(page, before)


def last_bot_text(page) -> str:
    return page.locator(BOT_MESSAGES).last.locator(".wgw-msg-text").inner_text()


def looks_dutch(text: str) -> bool:
    words = set(re.findall(r"[a-zà-ÿ]+", text.lower()))
    return len(words & {"de", "het", "een", "u", "je", "uw", "is", "en", "van", "bij", "dat"}) >= 3


def stored_state(page) -> dict:
    raw = page.evaluate(
        "() => { for (let i = 0; i < sessionStorage.length; i++) {"
        " const key = sessionStorage.key(i);"
        " if (key.startsWith('wegwijzer-chat:') && !key.includes(':large')"
        " && !key.includes(':probe')) return sessionStorage.getItem(key); } return null; }"
    )
    return json.loads(raw) if raw else {}


def axe_problems(page, context=None) -> list[dict]:
    """axe-core (shipped in axe-playwright-python) violations of impact serious or critical."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
        "resultTypes": ["violations"]}
    results = Axe().run(page, context=context, options=options)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
