"""One truth per year, seen: 13 agents in 2027 and 2 in 2028 (threshold 15, poolable) read
"Seuil de 15 atteint en 2028" with a bar per year on the projected screen and on a phone."""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from workshop.db import make_engine
from workshop.models import Seance
from workshop.services import board

pytestmark = pytest.mark.browser


def seed(server) -> str:
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        factories.phase(db, seance, "recueil")
        orchies = factories.participant(db, seance, "Orchies")
        need = factories.need(db, seance, "Accueil difficile", "acc-accueil-public", by=orchies)
        board.declare(db, seance, orchies, need.id, 2027, 8)
        board.declare(db, seance, factories.participant(db, seance, "Cysoing"), need.id, 2027, 5)
        board.declare(db, seance, factories.participant(db, seance, "Bachy"), need.id, 2028, 2)
        other = factories.need(db, seance, "Élections", "elec-bureaux-de-vote", by=orchies)
        board.declare(db, seance, orchies, other.id, 2027, 9)
        token = orchies.token
    engine.dispose()
    return token


def test_screen_and_phone_show_the_status_per_year(browser, live_server):
    token = seed(live_server)
    screen = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR").new_page()
    screen.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
    card = screen.locator("article.need", has=screen.get_by_text("Accueil difficile"))
    expect(card).to_contain_text("Seuil de 15 atteint en 2028")
    expect(card.locator(".year")).to_have_count(3)
    expect(card.locator(".year.opens")).to_contain_text("2028 : 15 stagiaires, territorialisable")
    expect(card).to_contain_text("2027 : 13, regroupés en 2028")
    expect(card).not_to_contain_text("manquant")
    other = screen.locator("article.need", has=screen.get_by_text("Élections"))
    expect(other).to_contain_text("6 stagiaires manquants pour atteindre 15 en 2027")
    # The threshold mark sits where 15 is on the 2028 bar (full: 15 of 15).
    mark = card.locator(".year.opens .mark")
    assert float(mark.get_attribute("x")) > 95
    screenshot(screen, "one-truth-screen-1080p")

    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                  has_touch=True, locale="fr-FR")
    context.add_cookies([{"name": f"p_{live_server.seance_id}", "value": token, "url": live_server.url}])
    phone = context.new_page()
    phone.goto(f"{live_server.url}/j/{live_server.join_code}")
    card = phone.locator("article.need", has=phone.get_by_text("Accueil difficile"))
    expect(card).to_contain_text("Seuil de 15 atteint en 2028")
    expect(card.locator(".year")).to_have_count(3)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the per-year bars must not widen the phone page"
    screenshot(phone, "one-truth-phone-360")
    context.close()
    screen.context.close()
