"""Countdowns follow the server's clock, not the device's (a phone's clock is often off)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_seance_live import PHONE, join

pytestmark = pytest.mark.browser

# Shifts the page's whole Date (Date.now(), new Date()) as a badly set device clock does.
SKEWED_CLOCK = """
(() => {
  const shift = %d, Real = Date;
  class Skewed extends Real {
    constructor(...args) { if (args.length === 0) super(Real.now() + shift); else super(...args); }
    static now() { return Real.now() + shift; }
  }
  window.Date = Skewed;
})();
"""


def seconds(text: str) -> int:
    minutes, secs = re.fullmatch(r"(\d+):(\d\d)", text).groups()
    return int(minutes) * 60 + int(secs)


@pytest.mark.parametrize("skew_s", [180, -120, 0])
def test_a_five_minute_timer_reads_five_minutes_whatever_the_device_clock(browser, live_server, skew_s):
    facilitator = live_server.facilitator()
    response = facilitator.post(f"/seances/{live_server.seance_id}/minuteur", minutes="5")
    assert response.status_code == 200

    screen_context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    screen_context.add_init_script(SKEWED_CLOCK % (skew_s * 1000))
    screen = screen_context.new_page()
    screen.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
    # The page's Date is really skewed (else this test would prove nothing).
    assert abs(screen.evaluate("Date.now() - performance.timeOrigin - performance.now()")
               - skew_s * 1000) < 5000

    phone_context = browser.new_context(**PHONE)
    phone_context.add_init_script(SKEWED_CLOCK % (skew_s * 1000))
    phone = join(browser, f"{live_server.url}/j/{live_server.join_code}", "orchies", "Orchies",
                 context=phone_context)

    for page, selector in ((screen, ".timer[data-countdown]"), (phone, "[data-countdown]")):
        countdown = page.locator(selector).first
        expect(countdown).to_have_text(re.compile(r"^\d+:\d\d$"))
        left = seconds(countdown.inner_text())
        assert 5 * 60 - 20 <= left <= 5 * 60, (skew_s, left)
    screen_context.close()
    phone_context.close()
