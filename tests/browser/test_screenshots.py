"""Screenshots of the demo page with the chat open, for the README and docs/widget.md.

Every run makes both screenshots (so the flow is tested); they are written to docs/ only with
WEGWIJZER_SCREENSHOTS=1:

    WEGWIJZER_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_screenshots.py
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.helpers import DESKTOP, PHONE, USER_MESSAGES, ask, new_page, open_chat

DOCS = Path(__file__).resolve().parents[2] / "docs"
QUESTION = "Waar moet ik beginnen om hulp te krijgen?"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def target(tmp_path: Path, name: str) -> Path:
    if os.environ.get("WEGWIJZER_SCREENSHOTS", "").strip() == "1":
        return DOCS / name
    return tmp_path / name


@pytest.mark.parametrize("name, viewport", [
    ("screenshot-desktop.png", DESKTOP),
    ("screenshot-phone.png", PHONE),
])
def test_screenshot(browser, site_url, tmp_path, name, viewport):
    page = new_page(browser, viewport=viewport, device_scale_factor=1)
    try:
        page.goto(site_url + "/")
        open_chat(page)
        ask(page, QUESTION)
        # show the question and the start of the answer, as a reader would scroll to them
        page.locator(USER_MESSAGES).last.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.mouse.move(0, 0)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        path = target(tmp_path, name)
        page.screenshot(path=str(path))
        assert path.read_bytes().startswith(PNG_SIGNATURE)
        assert not page.problems.errors, page.problems.errors
    finally:
        page.context.close()
