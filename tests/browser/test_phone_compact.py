"""The phone that stays short (issue 15): 28 needs at 320 and 360 px, in every phase, in
French and English; declaring on demand, "Mes besoins", what is typed survives a
reconnection, messages that fade."""

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests import factories
from tests.browser.conftest import ARTIFACTS, screenshot
from workshop.db import make_engine
from workshop.models import Participant, Seance
from workshop.schemas import SeanceSettings
from workshop.services import board, seances

pytestmark = pytest.mark.browser
PHASES = ("accueil", "recueil", "regroupement", "vote", "resultats", "plan")
THEMES = ("acc-accueil-public", "mgt-encadrement-proximite", "num-bureautique", "hs-caces")


def phone(browser, server, token, width, height=640):
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True,
                                  has_touch=True, locale="fr-FR")
    context.add_cookies([{"name": f"p_{server.seance_id}", "value": token, "url": server.url}])
    context.set_default_navigation_timeout(90_000)  # 2 cores shared by many test runs
    return context.new_page()


def seed(server, needs=28) -> dict:
    """A séance with `needs` needs, three added by the phone's participant, figures declared by
    its collectivité on two, by another collectivité on others; left in the welcome phase."""
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        factories.phase(db, seance, "recueil")
        me = factories.participant(db, seance, "Orchies")
        other = factories.participant(db, seance, "Cysoing")
        ids = []
        for i in range(needs):
            by = me if i < 3 else other
            details = "Pour les agents d'accueil des mairies et des CCAS." if i % 5 == 0 else ""
            need = factories.need(db, seance, f"Besoin numéro {i + 1}", THEMES[i % len(THEMES)],
                                  by=by, details=details)
            ids.append(need.id)
            factories.ok(board.declare(db, seance, other, need.id, 2027, 2 + i % 9))
        factories.ok(board.declare(db, seance, me, ids[5], 2027, 6))
        factories.ok(board.declare(db, seance, me, ids[5], 2028, 3))
        factories.phase(db, seance, "accueil")
        out = {"token": me.token, "other": other.token, "ids": ids}
    engine.dispose()
    return out


def to_phase(server, name: str, votes: dict | None = None) -> None:
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        if name == "resultats":
            factories.ok(seances.update_settings(db, seance, SeanceSettings(
                dot_budget=5, max_dots_per_need=3, weighting="participant", tallies_visible=True),
                seance.owner_id))
        factories.phase(db, seance, name)
        for token, need_id, dots in (votes or {}).get("ballots", []):
            person = next(p for p in votes["people"] if p.token == token)
            factories.ok(board.vote(db, seance, person, need_id, dots))
    engine.dispose()


def people(server):
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        found = list(db.exec(select(Participant).where(Participant.seance_id == server.seance_id)))
    engine.dispose()
    return found


def visible(page, selector: str) -> int:
    return page.locator(selector).evaluate_all(
        "els => els.filter(e => e.checkVisibility({visibilityProperty: true})).length")


def test_the_phone_in_every_phase_at_320_and_360_in_french_and_english(browser, live_server):
    data = seed(live_server)
    pages = {width: phone(browser, live_server, data["token"], width) for width in (320, 360)}
    heights = {}
    for name in PHASES:
        if name == "vote":
            to_phase(live_server, name, {"people": people(live_server), "ballots": [
                (data["other"], data["ids"][0], 3), (data["token"], data["ids"][0], 2),
                (data["other"], data["ids"][7], 2)]})
        else:
            to_phase(live_server, name)
        for width, page in pages.items():
            for lang in ("fr", "en"):
                page.goto(f"{live_server.url}/langue/{lang}?next=/j/{live_server.join_code}")
                expect(page.locator("html")).to_have_attribute("lang", lang)
                expect(page.locator("body")).to_have_attribute("data-connected", "yes", timeout=15000)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                heights[name, width, lang] = page.evaluate("document.documentElement.scrollHeight")
                screenshot(page, f"phone-{name}-{width}-{lang}")
                page.screenshot(path=str(ARTIFACTS / f"phone-{name}-{width}-{lang}-first-screen.png"))
                # No declaring form is open by itself: each card offers a disclosure at most.
                assert visible(page, "form.declare") == 0
                add = page.locator("#add-need > summary")
                if name == "recueil":
                    # "Ajouter un besoin" is on the first screen, not after 28 cards.
                    box = add.bounding_box()
                    assert box and box["y"] + box["height"] <= 640
                    assert visible(page, ".declare-box") == 28
                    # Opened on demand: one field per year of the horizon, within the width.
                    page.locator(".declare-box > summary").nth(1).click()
                    assert visible(page, "form.declare input[data-year]") == 3
                    add.click()
                    expect(page.locator("#theme_id")).to_be_visible()
                    assert page.evaluate("document.documentElement.scrollWidth") <= width
                    page.screenshot(path=str(ARTIFACTS / f"phone-recueil-{width}-{lang}-open.png"),
                                    full_page=True, clip={"x": 0, "y": 0, "width": width, "height": 1400})
                else:
                    expect(add).to_be_hidden()
                if name == "vote":
                    assert visible(page, ".declare-box") == 0
                    assert visible(page, ".mine") == 28
                    mine = page.locator(f"#need-{data['ids'][0]}-mine .mine-count")
                    expect(mine).to_have_text("Vos gommettes : 2" if lang == "fr" else "Your dots: 2")
                if name == "resultats":
                    total = page.locator(f"#need-{data['ids'][0]}-info .votes")
                    expect(total).to_have_text("Total : 5 gommettes" if lang == "fr" else "Total: 5 dots")
    for page in pages.values():
        page.context.close()
    print("\nphone heights (px):", {f"{k[0]}-{k[1]}-{k[2]}": v for k, v in heights.items()})
    # 28 needs in the vote phase: under 240 px a card, not 10,138 px.
    assert heights["vote", 360, "fr"] <= 28 * 240, heights["vote", 360, "fr"]


def card(page, title):
    return page.locator("article.need", has=page.get_by_role("heading", name=title, exact=True))


def test_declaring_several_years_the_filter_and_a_reconnection_that_keeps_what_is_typed(
        browser, live_server):
    data = seed(live_server, needs=6)
    to_phase(live_server, "recueil")
    page = phone(browser, live_server, data["token"], 360)
    page.goto(f"{live_server.url}/j/{live_server.join_code}")
    expect(page.locator("body")).to_have_attribute("data-connected", "yes", timeout=15000)

    # Several years at once, from a disclosure; the box closes once saved.
    target = card(page, "Besoin numéro 5")
    target.get_by_text("Déclarer des agents").click()
    target.get_by_label("2027").fill("4")
    target.get_by_label("2029").fill("2")
    target.get_by_role("button", name="Enregistrer").click()
    expect(target.locator(".ours-figures")).to_contain_text("4 agents en 2027")
    expect(target.locator(".ours-figures")).to_contain_text("2 agents en 2029")
    expect(target.locator("form.declare")).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Effectif enregistré.")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "phone-message-360.png"))
    # It covers no field: only the sticky header's band.
    toast = page.locator("#live-message").bounding_box()
    assert toast["y"] == 0 and toast["height"] <= 70, toast
    for field in page.locator("input:visible, select:visible, textarea:visible").all():
        box = field.bounding_box()
        assert box["y"] >= toast["y"] + toast["height"] or box["y"] + box["height"] <= toast["y"]
    # The message fades by itself.
    expect(page.locator("#live-message")).to_be_empty(timeout=8000)

    # "Mes besoins": the three added here, the one declared on by the collectivité, and 5.
    page.get_by_role("button", name="Mes besoins").click()
    expect(page.locator("article.need:visible")).to_have_count(5)
    expect(card(page, "Besoin numéro 4")).to_be_hidden()
    page.get_by_role("button", name="Tous", exact=True).click()
    expect(page.locator("article.need:visible")).to_have_count(6)

    # The theme list starts on no theme: the browser asks for one, nothing is sent.
    page.get_by_text("Ajouter un besoin").click()
    expect(page.get_by_label("Thème")).to_have_value("")
    page.get_by_label("Intitulé").fill("Sans thème")
    page.locator("form[data-live='add_need'] button").click()
    assert page.get_by_label("Thème").evaluate("s => !s.validity.valid")
    expect(page.get_by_role("heading", name="Sans thème")).to_have_count(0)

    # Offline then back: the number being typed and the scroll position are kept, the
    # offline notice goes.
    other = card(page, "Besoin numéro 6")
    other.locator(".declare-box > summary").click()
    field = other.get_by_label("2028")
    field.scroll_into_view_if_needed()
    field.fill("17")
    page.context.set_offline(True)
    expect(page.locator("#live-status")).to_contain_text("Connexion perdue")
    other.get_by_role("button", name="Enregistrer").click()  # refused at once: not sent
    expect(page.get_by_role("status").filter(has_text="Hors connexion")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "phone-offline-360.png"))
    other.get_by_label("2027").click()
    other.get_by_label("2027").fill("3")
    field.focus()
    top = field.bounding_box()["y"]
    page.context.set_offline(False)
    expect(page.locator("#live-status")).to_be_empty(timeout=15000)
    expect(page.locator("#live-message")).to_be_empty()  # "Hors connexion" is no longer true
    expect(page.locator("body")).to_have_attribute("data-connected", "yes", timeout=15000)
    page.wait_for_timeout(300)  # the reconnection's whole board arrives right after
    expect(field).to_have_value("17")
    expect(other.get_by_label("2027")).to_have_value("3")
    expect(other.locator("form.declare")).to_be_visible()
    assert abs(field.bounding_box()["y"] - top) < 2
    assert page.evaluate("document.activeElement.id") == field.get_attribute("id")
    screenshot(page, "phone-back-online-360")
    page.context.close()


def test_a_participant_changes_collectivite_and_role(browser, live_server):
    data = seed(live_server, needs=6)
    page = phone(browser, live_server, data["token"], 320)
    page.goto(f"{live_server.url}/j/{live_server.join_code}")
    expect(page.locator(".phone-top .who")).to_contain_text("Orchies")
    page.get_by_role("link", name=re.compile("Changer")).click()
    screenshot(page, "phone-change-320")
    page.get_by_label("Votre collectivité : nom ou code postal").fill("cysoing")
    page.get_by_role("radio", name=re.compile("^Cysoing ")).check()
    page.get_by_label("Votre fonction").select_option(label="Secrétaire de mairie")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".phone-top .who")).to_contain_text("Cysoing")
    page.get_by_role("link", name=re.compile("Changer")).click()
    expect(page.get_by_text("Vous parlez pour : Cysoing (Secrétaire de mairie).")).to_be_visible()
    page.context.close()
