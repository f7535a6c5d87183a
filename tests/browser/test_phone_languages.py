"""The phone in French and English at 320 and 412 px, by keyboard alone; the screen in both themes."""

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from workshop.db import make_engine
from workshop.models import Seance
from workshop.services import board

pytestmark = pytest.mark.browser


def seed(server):
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        factories.phase(db, seance, "recueil")
        person = factories.participant(db, seance, "Orchies")
        for title, agents in (("Accueil des publics", 6), ("Gestes et postures", 9)):
            need = factories.need(db, seance, title, "acc-accueil-public", by=person)
            board.declare(db, seance, person, need.id, 2027, agents)
        factories.phase(db, seance, "vote")
        token = person.token
    engine.dispose()
    return token


@pytest.mark.parametrize("width", [320, 412])
def test_phone_in_french_then_english(browser, live_server, width):
    token = seed(live_server)
    context = browser.new_context(viewport={"width": width, "height": 780}, is_mobile=True,
                                  has_touch=True, locale="fr-FR")
    context.add_cookies([{"name": f"p_{live_server.seance_id}", "value": token,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/j/{live_server.join_code}")
    expect(page.locator("#phase .phase-name")).to_have_text("Vote")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"phone-{width}-fr")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Place your dots", exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"phone-{width}-en")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    context.close()


def test_voting_by_keyboard_alone(browser, live_server):
    token = seed(live_server)
    context = browser.new_context(viewport={"width": 412, "height": 800}, locale="fr-FR")
    context.add_cookies([{"name": f"p_{live_server.seance_id}", "value": token,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/j/{live_server.join_code}")
    expect(page.locator("body")).to_have_attribute("data-connected", "yes")
    add = page.get_by_role("button", name="Ajouter une gommette").first
    for _ in range(40):  # Tab until the first "+" has the focus, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Ajouter une gommette":
            break
    else:
        raise AssertionError("the vote button cannot be reached with the keyboard")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("Enter")
    expect(page.locator(".mine-count").first).to_have_text("Vos gommettes : 1")
    expect(page.get_by_role("status").filter(has_text="Gommette posée.")).to_be_visible()
    assert add
    context.close()


def test_screen_in_both_themes(browser, live_server):
    seed(live_server)
    page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR").new_page()
    page.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
    expect(page.get_by_role("heading", name="Accueil des publics")).to_be_visible()
    screenshot(page, "screen-1920")
    page.get_by_role("link", name="Contraste fort (salle lumineuse)").click()
    expect(page.locator("body")).to_have_class("screen high-contrast")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    screenshot(page, "screen-1920-contraste")
    page.context.close()


@pytest.mark.parametrize("needs", [5, 80])
def test_the_screen_holds_with_few_or_many_needs(browser, live_server, needs):
    engine = make_engine(live_server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, live_server.seance_id)
        factories.phase(db, seance, "recueil")
        person = factories.participant(db, seance, "Orchies")
        for i in range(needs):
            need = factories.need(db, seance, f"Besoin numéro {i + 1}", "acc-accueil-public", by=person)
            board.declare(db, seance, person, need.id, 2027, 1 + i % 14)
    engine.dispose()
    page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR").new_page()
    page.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
    expect(page.get_by_role("heading", name="Besoin numéro 1", exact=True,
                            include_hidden=True)).to_have_count(1)
    # Nothing spills out of the projected frame.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    # Four needs a page, the pages turning; one shown at a time, saying which.
    pages = page.locator(".pages > .page")
    assert pages.count() == -(-needs // 4)
    assert page.locator(".pages > .page:not([hidden])").count() == 1
    expect(page.locator(".page:not([hidden]) .page-of")).to_have_text(
        re.compile(rf"^page \d+/{pages.count()}$"))
    screenshot(page, f"screen-1920-{needs}-besoins")
    page.context.close()
