"""Browser tests of the demo page and the chat widget: Playwright drives Debian's Chromium.

Playwright's own browser download does not work on these machines, so the tests launch
`/usr/bin/chromium` (installed by scripts/install-system-deps.sh, which `make test` runs).
When Chromium cannot start the tests skip, or fail under WEGWIJZER_REQUIRE_SERVICES=1.
The page and the bot are the real ones: `served_bot` (tests/conftest.py) runs `wegwijzer serve`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, PHONE, new_page


# Module scope: Playwright's sync API keeps an asyncio loop running in this thread while it is
# started, which would break asyncio.run() in every later test of the session.
@pytest.fixture(scope="module")
def browser(require_service_helper):
    """Debian's Chromium, headless, started once for the session."""
    require_service = require_service_helper
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - depends on the environment
        require_service("Chromium", False, f"the Python package playwright is missing ({error})")
    executable = CHROMIUM if os.path.isabs(CHROMIUM) else (shutil.which(CHROMIUM) or CHROMIUM)
    if not Path(executable).exists():
        require_service("Chromium", False,
                        f"{executable} not found (scripts/install-system-deps.sh installs it)")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                           headless=True)
    except Exception as error:  # noqa: BLE001 - any launch failure means: no browser here
        manager.stop()
        require_service("Chromium", False, f"could not start {executable}: {error}")
    yield chromium
    chromium.close()
    manager.stop()


@pytest.fixture(scope="module")
def site_url(browser, served_bot) -> str:
    """The demo page of `wegwijzer serve` (the browser first: no server start without one)."""
    return served_bot.url


@pytest.fixture
def page(browser, site_url):
    """The demo page on a desktop screen; fails the test on a JS error or a CSP violation."""
    page = new_page(browser)
    page.goto(site_url + "/")
    yield page
    problems = list(page.problems.errors)
    page.context.close()
    assert not problems, "problems on the page:\n" + "\n".join(problems)


@pytest.fixture
def phone_page(browser, site_url):
    page = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True,
                    device_scale_factor=2)
    page.goto(site_url + "/")
    yield page
    problems = list(page.problems.errors)
    page.context.close()
    assert not problems, "problems on the page:\n" + "\n".join(problems)
