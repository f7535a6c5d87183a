"""Merging in Chromium (issue 14 items 2-3, issue 15): a likely duplicate is offered, merged
from the panel, the phone is told of the dots given back, and the merge is undone from the
merged card."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import audit
from tests.browser.test_seance_live import PHONE, card, join

pytestmark = pytest.mark.browser


def test_merge_a_suggested_duplicate_then_undo_it(browser, live_server):
    fac = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR").new_page()
    errors = []
    fac.on("pageerror", lambda e: errors.append(str(e)))
    fac.goto(live_server.url + "/connexion")
    fac.get_by_label("Adresse e-mail").fill(live_server.email)
    fac.get_by_label("Mot de passe").fill(live_server.password)
    fac.get_by_role("button", name="Se connecter").click()
    fac.goto(f"{live_server.url}/seances/{live_server.seance_id}/pilotage")
    join_url = f"{live_server.url}/j/{live_server.join_code}"
    phone = join(browser, join_url, "orchies", "Orchies", context=browser.new_context(**PHONE))

    fac.get_by_role("button", name="Recueil des besoins").click()
    for title in ("Gestion des conflits", "Gérer les conflits", "Bureautique : tableur"):
        if not phone.get_by_label("Intitulé").is_visible():
            phone.get_by_text("Ajouter un besoin").click()
        phone.get_by_label("Thème").select_option(label="Accueil du public et situations difficiles")
        phone.get_by_label("Intitulé").fill(title)
        phone.locator("form[data-live='add_need'] button").click()
        expect(card(phone, title)).to_be_visible()
    fac.get_by_role("button", name="Vote").click()
    for title, dots in (("Gestion des conflits", 3), ("Gérer les conflits", 2)):
        for _ in range(dots):
            card(phone, title).get_by_role("button", name="Ajouter une gommette").click()
        expect(card(phone, title).locator(".mine-count")).to_have_text(f"Vos gommettes : {dots}")
    expect(phone.locator("#budget")).to_contain_text("Toutes vos gommettes sont posées (5)")

    # The merge panel offers the likely duplicate (same theme, close titles).
    fac.get_by_role("button", name="Choisir les besoins…").click()
    suggestions = fac.locator(".merge-suggestions li")
    expect(suggestions).to_have_count(1)
    expect(suggestions).to_contain_text("« Gestion des conflits » et « Gérer les conflits »")
    expect(suggestions).to_contain_text("titres proches à 68 %")
    fac.locator("#panel").scroll_into_view_if_needed()
    screenshot(fac, "merge-panel")
    assert audit(fac) == []  # the panel, the merged card and the phone's notice pass axe
    suggestions.get_by_role("button", name="Garder « Gestion des conflits »").click()
    expect(fac.locator("#fac-notice")).to_contain_text(
        "2 gommettes au-delà du maximum par besoin sont rendues à leurs participants.")

    # The phone is told, and its budget follows: 3 on the merged need, 2 back.
    expect(phone.locator("#live-message")).to_contain_text(
        "2 gommettes vous sont rendues : « Gérer les conflits » a été regroupé avec "
        "« Gestion des conflits » (au plus 3 par besoin).")
    expect(phone.locator("#budget")).to_contain_text("2 gommettes restantes sur 5")
    expect(card(phone, "Gérer les conflits")).to_have_count(0)
    screenshot(phone, "merge-phone-told")

    # Undo from the merged card: both needs come back with their own dots.
    unmerge = fac.get_by_role("button", name="Séparer « Gérer les conflits » de « Gestion des "
                                             "conflits »")
    expect(unmerge).to_be_visible()
    screenshot(fac, "merge-merged-card")
    assert audit(fac) == [] and audit(phone) == []
    unmerge.click()
    expect(fac.locator("#fac-notice")).to_contain_text(
        "Regroupement défait : « Gérer les conflits » est revenu au tableau, séparé de "
        "« Gestion des conflits ».")
    expect(card(phone, "Gérer les conflits").locator(".mine-count")).to_have_text("Vos gommettes : 2")
    expect(card(phone, "Gestion des conflits").locator(".mine-count")).to_have_text("Vos gommettes : 3")
    expect(phone.locator("#budget")).to_contain_text("Toutes vos gommettes sont posées (5)")
    expect(fac.get_by_role("button", name="Séparer « Gérer les conflits » de « Gestion des "
                                           "conflits »")).to_have_count(0)
    screenshot(fac, "merge-undone")
    state = fac.request.get(f"{live_server.url}/seances/{live_server.seance_id}/etat.json").json()
    assert {n["title"]: n["dots"] for n in state["needs"]} == {
        "Gestion des conflits": 3, "Gérer les conflits": 2, "Bureautique : tableur": 0}
    assert errors == []
