"""Every tap counts: quick taps on "+" or "−" before the server has answered the first
(issue 14, item 4: three quick taps used to give one dot)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_languages import seed

pytestmark = pytest.mark.browser


def test_three_quick_taps_give_three_dots_and_two_quick_removals_take_two(browser, live_server):
    token = seed(live_server)
    context = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True,
                                  has_touch=True, locale="fr-FR")
    context.add_cookies([{"name": f"p_{live_server.seance_id}", "value": token,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/j/{live_server.join_code}")
    expect(page.locator("body")).to_have_attribute("data-connected", "yes")
    card = page.locator("article.need").first
    plus = card.get_by_role("button", name="Ajouter une gommette")
    minus = card.get_by_role("button", name="Retirer une gommette")
    # Three taps in one go: none can have been answered before the last is sent.
    plus.evaluate("b => { b.click(); b.click(); b.click(); }")
    expect(card.locator(".mine-count")).to_have_text("Vos gommettes : 3")
    minus.evaluate("b => { b.click(); b.click(); }")
    expect(card.locator(".mine-count")).to_have_text("Vos gommettes : 1")
    # What the phone shows is what the server stored.
    state = live_server.facilitator().state(live_server.seance_id)
    assert sum(n["dots"] for n in state["needs"]) == 1
    # The budget (5) spent by quick taps: "+" is disabled everywhere at once, and a tap more
    # cannot be sent.
    other = page.locator("article.need").nth(1)
    plus.evaluate("b => { b.click(); b.click(); }")
    other.get_by_role("button", name="Ajouter une gommette").evaluate("b => { b.click(); b.click(); }")
    expect(page.locator("#budget")).to_contain_text("Toutes vos gommettes sont posées (5)")
    expect(card.locator(".mine-count")).to_have_text("Vos gommettes : 3")
    expect(other.locator(".mine-count")).to_have_text("Vos gommettes : 2")
    for need in (card, other):
        expect(need.get_by_role("button", name="Ajouter une gommette")).to_be_disabled()
    expect(minus).to_be_enabled()
    context.close()
