"""The plan draft in Chromium: the facilitator pins a line and changes the capacity, the
projected screen follows without reloading."""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from workshop.db import make_engine
from workshop.models import Seance
from workshop.services import board

pytestmark = pytest.mark.browser


def seed_board(server):
    """Three needs with agents from the room, written through the services, before the plan phase."""
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        factories.phase(db, seance, "recueil")
        wishes = [("Gestion des conflits", "mgt-encadrement-proximite", {"Orchies": 10, "Cysoing": 8}),
                  ("CACES nacelles", "hs-caces", {"Orchies": 7, "Templeuve-en-Pévèle": 6}),
                  ("Passage à la M57", "fin-budget-m57", {"Cysoing": 9, "Phalempin": 7})]
        for title, theme, figures in wishes:
            need = factories.need(db, seance, title, theme)
            for name, agents in figures.items():
                person = factories.participant(db, seance, name)
                board.declare(db, seance, person, need.id, 2027, agents)
        factories.phase(db, seance, "plan")
    engine.dispose()


def year_column(page, year):
    """A year's column: the plan page's, or the screen's timeline."""
    return page.locator(".plan-year, .tl-year", has=page.locator(f"#year-{year}"))


def test_pin_and_capacity_reflow_the_screen_live(browser, live_server):
    seed_board(live_server)
    screen = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR").new_page()
    screen.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
    screen.evaluate("window.__sameDocument = true")
    expect(year_column(screen, 2027)).to_contain_text("Gestion des conflits")
    expect(year_column(screen, 2027)).to_contain_text("CACES nacelles")

    fac = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="fr-FR").new_page()
    fac.goto(live_server.url + "/connexion")
    fac.get_by_label("Adresse e-mail").fill(live_server.email)
    fac.get_by_label("Mot de passe").fill(live_server.password)
    fac.get_by_role("button", name="Se connecter").click()
    fac.goto(f"{live_server.url}/seances/{live_server.seance_id}/plan/")
    caces = fac.locator(".plan-years .plan-line", has=fac.get_by_text("CACES nacelles"))
    expect(caces).to_contain_text("payante")

    # Pin the M57 line to 2029: the screen moves it without a reload.
    m57 = fac.locator(".plan-years .plan-line", has=fac.get_by_text("Passage à la M57"))
    m57.locator("select[name=year]").select_option(label="épingler en 2029")
    expect(fac.get_by_text("Ligne épinglée")).to_be_visible()
    expect(year_column(screen, 2029)).to_contain_text("Passage à la M57")
    expect(year_column(screen, 2027)).not_to_contain_text("Passage à la M57")

    # Capacity for 2027 down to one 3-day session: the lower priority line moves to 2028.
    capacity = fac.locator("form", has=fac.get_by_label("2027", exact=True))
    fac.get_by_label("2027", exact=True).fill("3")
    capacity.get_by_role("button", name="Appliquer").click()
    expect(fac.get_by_text("Capacité enregistrée")).to_be_visible()
    expect(year_column(screen, 2028)).to_contain_text("CACES nacelles")
    expect(year_column(screen, 2027)).to_contain_text("Gestion des conflits")
    expect(year_column(fac, 2028)).to_contain_text("2027 pris par des actions mieux classées")

    # A negative capacity is stopped in the form (the server refuses it too: tests/web).
    fac.get_by_label("2028", exact=True).fill("-4")
    capacity.get_by_role("button", name="Appliquer").click()
    assert fac.get_by_label("2028", exact=True).evaluate("input => !input.validity.valid")
    expect(year_column(screen, 2028)).to_contain_text("CACES nacelles")

    assert screen.evaluate("window.__sameDocument === true")
    screenshot(fac, "plan-facilitator")
    screenshot(screen, "plan-screen")
    fac.context.close()
    screen.context.close()
