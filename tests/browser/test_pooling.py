"""Pooling across perimeters in Chromium (issue 17, item 9): the facilitator sees proposals,
accepts one; the shared line shows in this plan, the other proposal stays on offer."""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from workshop.db import make_engine
from workshop.models import Facilitator, Seance
from workshop.services import board

pytestmark = pytest.mark.browser


def seed(server) -> int:
    """Below threshold here (Pévèle) and in a Flandre Lys séance of the same facilitator."""
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        here = db.get(Seance, server.seance_id)
        owner = db.get(Facilitator, here.owner_id)
        other = factories.seance(db, owner, factories.perimetre(db, owner, (factories.FLANDRE_LYS,),
                                                                name="CC Flandre Lys"),
                                 title="Séance Flandre Lys")
        wishes = [(here, [("Accueil du public", "acc-accueil-public", "Orchies", 2028, 9),
                         ("Tenue des bureaux de vote", "elec-bureaux-de-vote", "Cysoing", 2027, 8)]),
                  (other, [("Accueil du public", "acc-accueil-public", "Merville", 2028, 7),
                          ("Bureaux de vote", "elec-bureaux-de-vote", "Estaires", 2027, 9)])]
        for seance, rows in wishes:
            factories.phase(db, seance, "recueil")
            for title, theme, who, year, agents in rows:
                need = factories.need(db, seance, title, theme)
                factories.ok(board.declare(db, seance, factories.participant(db, seance, who), need.id,
                                           year, agents))
        factories.phase(db, here, "plan")
        other_id = other.id
    engine.dispose()
    return other_id


def test_accept_a_pooling_and_see_the_shared_line(browser, live_server):
    other_id = seed(live_server)
    fac = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="fr-FR").new_page()
    fac.goto(live_server.url + "/connexion")
    fac.get_by_label("Adresse e-mail").fill(live_server.email)
    fac.get_by_label("Mot de passe").fill(live_server.password)
    fac.get_by_role("button", name="Se connecter").click()
    fac.goto(f"{live_server.url}/seances/{live_server.seance_id}/plan/")
    offers = fac.locator("#plan-offers")
    expect(offers.locator(".plan-offer")).to_have_count(2)
    accueil = offers.locator(".plan-offer", has=fac.get_by_text("Accueil du public"))
    expect(accueil).to_contain_text("9 + 7 = 16, territorialisable en 2028, accueil à Orchies")
    accueil.get_by_role("button", name="Accepter cette mutualisation").click()
    expect(fac.get_by_text("Mutualisation acceptée")).to_be_visible()
    shared = fac.locator(".plan-years .plan-line.pooled")
    expect(shared).to_contain_text("Action mutualisée avec CC Flandre Lys : 9 + 7 = 16 stagiaires, "
                                   "territorialisée en 2028, accueil à Orchies")
    expect(fac.locator(".plan-year", has=fac.locator("#year-2028"))).to_contain_text("Accueil du public")
    expect(offers.locator(".plan-offer")).to_have_count(1)  # the other proposal stays on offer
    expect(offers).to_contain_text("8 + 9 = 17")
    shared.scroll_into_view_if_needed()
    screenshot(fac, "plan-pooling")

    # The other séance's plan page shows the same line, from its side.
    fac.goto(f"{live_server.url}/seances/{other_id}/plan/")
    expect(fac.locator(".plan-line.pooled")).to_contain_text(
        "Action mutualisée avec Pévèle : 7 + 9 = 16 stagiaires, territorialisée en 2028, accueil à Orchies")
    screenshot(fac, "plan-pooling-other-side")
