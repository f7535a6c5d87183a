"""The facilitator's controls in Chromium: two pages of one séance follow each other live and
cannot undo each other's settings (issue 14, item 6); the control block per phase, and the
pilotage page as a remote on a 360 px phone (issue 15)."""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.test_facilitator import login, settle
from workshop.db import make_engine
from workshop.models import Seance

pytestmark = pytest.mark.browser


def seed(server, phase="vote"):
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        factories.phase(db, seance, "recueil")
        for title in ("Accueil des publics", "Gestes et postures"):
            factories.need(db, seance, title, "acc-accueil-public")
        factories.phase(db, seance, phase)
    engine.dispose()


def stored(server) -> dict:
    return server.facilitator().state(server.seance_id)["seance"]


def test_two_facilitator_pages_follow_each_other_and_keep_each_others_settings(browser, live_server):
    seed(live_server)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    a, b = context.new_page(), context.new_page()
    login(a, live_server)
    url = f"{live_server.url}/seances/{live_server.seance_id}/pilotage"
    a.goto(url)
    b.goto(url)
    for page in (a, b):
        expect(page.locator("body")).to_have_attribute("data-connected", "yes")
    # B sets budget 10 / max 4; A's page, loaded earlier, shows it live.
    b.get_by_label("Gommettes", exact=True).fill("10")
    b.get_by_label("max. par besoin").fill("4")
    b.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(b.get_by_text("Réglages enregistrés.")).to_be_visible()
    expect(a.get_by_label("Gommettes", exact=True)).to_have_value("10")
    expect(a.get_by_label("max. par besoin")).to_have_value("4")
    # A reveals the tallies: only the tallies change.
    settle(a)
    a.get_by_role("button", name="Révéler les résultats").click()
    expect(a.get_by_text("Résultats révélés.")).to_be_visible()
    expect(b.get_by_role("button", name="Masquer les résultats")).to_be_visible()
    settings = stored(live_server)
    assert (settings["dot_budget"], settings["max_dots_per_need"], settings["tallies_visible"]) == \
        (10, 4, True)
    # Phase and timer follow live too.
    settle(b)
    b.get_by_role("button", name="Phase suivante").click()
    expect(a.locator(".phase-now strong")).to_have_text("Résultats")
    settle(a)
    a.get_by_label("Minuteur (min)").fill("3")
    a.get_by_role("button", name="Lancer").click()
    expect(b.get_by_role("button", name="+1 min")).to_be_visible()
    expect(b.get_by_label("Minuteur (min)")).to_have_value("3")
    context.close()


def test_a_stale_page_is_refused_with_the_fresh_state(browser, live_server):
    """A page that missed the live update (its socket cut) posts an older state: refused,
    nothing changed, and it gets the fresh values."""
    seed(live_server)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    page = context.new_page()
    login(page, live_server)
    page.route("**/socket.io/**", lambda route: route.abort())  # no live updates on this page
    page.goto(f"{live_server.url}/seances/{live_server.seance_id}/pilotage")
    other = live_server.facilitator()
    state = stored(live_server)
    assert other.post(f"/seances/{live_server.seance_id}/reglages", dot_budget="10",
                      max_dots_per_need="4", revision=str(state["revision"])).status_code == 200
    page.get_by_label("Gommettes", exact=True).fill("6")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Un autre animateur vient de modifier la séance")
    expect(page.get_by_label("Gommettes", exact=True)).to_have_value("10")
    assert stored(live_server)["dot_budget"] == 10
    context.close()


@pytest.mark.parametrize("width,height", [(360, 740), (1366, 768)])
def test_the_pilotage_page_as_a_remote(browser, live_server, width, height):
    seed(live_server, phase="vote")
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR",
                                  is_mobile=width < 600, has_touch=width < 600)
    page = context.new_page()
    login(page, live_server)
    page.goto(f"{live_server.url}/seances/{live_server.seance_id}/pilotage")
    expect(page.locator("body")).to_have_attribute("data-connected", "yes")
    screenshot(page, f"pilotage-vote-{width}")
    wide = page.evaluate("[...document.querySelectorAll('body *')]"
                         f".filter(e => e.getBoundingClientRect().right > {width} + 1)"
                         ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 12)")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    # What one does walking the room: reveal, timer, next phase, proxy entry.
    page.get_by_role("button", name="Révéler les résultats").click()
    expect(page.get_by_text("Résultats révélés.")).to_be_visible()
    settle(page)
    page.get_by_label("Minuteur (min)").fill("2")
    page.get_by_role("button", name="Lancer").click()
    expect(page.get_by_role("button", name="Arrêter")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="+1 min").click()
    expect(page.get_by_label("Minuteur (min)")).to_have_value("3")
    settle(page)
    page.get_by_role("button", name="Phase suivante").click()
    expect(page.locator(".phase-now strong")).to_have_text("Résultats")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"pilotage-resultats-{width}")
    # The controls fill no more than the fold: the board starts within it.
    assert page.locator("#controls").bounding_box()["height"] <= height * 0.75
    page.get_by_label("Collectivité", exact=True).select_option(label="Bouvignies")
    with context.expect_page() as opened:
        page.get_by_role("button", name="Ouvrir la saisie").click()
    expect(opened.value.locator(".phone-top .who")).to_have_text("Saisie pour : Bouvignies")
    context.close()
