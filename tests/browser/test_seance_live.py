"""A whole séance in Chromium: a facilitator, a projected screen and three phones."""

import re

import pytest
import segno
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True,
         "locale": "fr-FR"}


def never_reloaded(page):
    page.evaluate("window.__sameDocument = true")
    return lambda: page.evaluate("window.__sameDocument === true")


def join(browser, url, search, pick, role="Maire ou élu·e", context=None):
    context = context or browser.new_context(**PHONE)
    phone = context.new_page()
    phone.goto(url)
    phone.get_by_label("Votre collectivité : nom ou code postal").fill(search)
    phone.get_by_role("radio", name=re.compile("^" + re.escape(pick) + " ")).check()
    phone.get_by_label("Votre fonction").select_option(label=role)
    phone.get_by_role("button", name="Rejoindre").click()
    expect(phone.locator(".phone-top .who")).to_contain_text(pick)
    return phone


def card(page, title):
    return page.locator("article.need", has=page.get_by_role("heading", name=title, exact=True))


def declare(need_card, agents: str, year: str = "2027"):
    """Agents for one year, through the card's disclosure (one field per year)."""
    need_card.locator(".declare-box > summary").click()
    need_card.get_by_label(year).fill(agents)
    need_card.get_by_role("button", name="Enregistrer").click()


def test_a_whole_seance(browser, live_server):
    # The facilitator logs in and opens the control page.
    fac_context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    fac = fac_context.new_page()
    fac.goto(live_server.url + "/connexion")
    fac.get_by_label("Adresse e-mail").fill(live_server.email)
    fac.get_by_label("Mot de passe").fill(live_server.password)
    fac.get_by_role("button", name="Se connecter").click()
    fac.goto(f"{live_server.url}/seances/{live_server.seance_id}/pilotage")
    fac_same = never_reloaded(fac)

    # The projector, 1920x1080, through its own link.
    screen_context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    screen = screen_context.new_page()
    screen.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
    screen_same = never_reloaded(screen)
    qr = screen.get_by_role("img", name=re.compile("QR code vers"))
    join_url = qr.get_attribute("aria-label").removeprefix("QR code vers ")
    assert join_url.endswith("/j/" + live_server.join_code)
    # The modules drawn are those of a QR code for that very URL.
    expected = segno.make(join_url, error="m").svg_inline(scale=8, border=2, omitsize=True)
    drawn = qr.locator("path").last.get_attribute("d")
    assert drawn and f'd="{drawn}"' in expected
    code = live_server.join_code
    expect(screen.locator(".welcome-code")).to_have_text(f"{code[:3]}-{code[3:]}")

    # Three phones scan the QR code (open its URL) and join.
    anne = join(browser, join_url, "orchies", "Orchies")
    bruno = join(browser, join_url, "59310", "Orchies", role="Secrétaire de mairie")
    chloe = join(browser, join_url, "cysoing", "Cysoing")
    expect(screen.locator(".people-total")).to_contain_text("3 participants")
    expect(screen.locator(".people-total")).to_contain_text("2 collectivités")
    screenshot(screen, "screen-accueil")
    # From the back of the room: the code and the QR code take a third of the screen at least.
    boxes = [screen.locator(".welcome-code").bounding_box(), qr.bounding_box()]
    assert boxes[1]["height"] >= 0.5 * 1080  # the QR, half the screen's height
    assert boxes[0]["height"] >= 0.1 * 1080  # the code's letters, a tenth
    left, top = min(b["x"] for b in boxes), min(b["y"] for b in boxes)
    right = max(b["x"] + b["width"] for b in boxes)
    bottom = max(b["y"] + b["height"] for b in boxes)
    assert (right - left) * (bottom - top) >= 1920 * 1080 / 3

    # Recueil: phones add needs; the screen shows them as they arrive.
    fac.get_by_role("button", name="Recueil des besoins").click()
    expect(anne.get_by_text("Ajouter un besoin")).to_be_visible()
    for phone, title in ((anne, "Gestion des conflits"), (bruno, "Gérer les conflits"),
                         (chloe, "Bureautique : tableur")):
        if not phone.get_by_label("Intitulé").is_visible():
            phone.get_by_text("Ajouter un besoin").click()
        phone.get_by_label("Thème").select_option(label="Accueil du public et situations difficiles")
        phone.get_by_label("Intitulé").fill(title)
        phone.locator("form[data-live='add_need'] button").click()
        expect(phone.get_by_role("status").filter(has_text="Besoin ajouté.")).to_be_visible()
        expect(screen.get_by_role("heading", name=title, exact=True)).to_be_visible()
    expect(anne.locator("article.need")).to_have_count(3)

    # Agents: one figure per collectivité and year; a colleague's entry replaces it.
    conflicts = card(anne, "Gestion des conflits")
    declare(conflicts, "4")
    expect(card(bruno, "Gestion des conflits").locator(".ours-figures")).to_contain_text("4 agents")
    declare(card(bruno, "Gestion des conflits"), "6")
    expect(conflicts.locator(".ours-figures")).to_contain_text("6 agents")
    declare(card(chloe, "Gérer les conflits"), "8")
    expect(card(screen, "Gestion des conflits")).to_contain_text("6 agents")

    # Regroupement: the facilitator merges the duplicate; agents add up (6 + 8 = 14 of 15).
    fac.get_by_role("button", name="Regroupement").click()
    fac.get_by_role("button", name="Choisir les besoins…").click()
    fac.get_by_label("Gestion des conflits", exact=True).check()
    fac.get_by_label("Gérer les conflits", exact=True).check()
    fac.get_by_label("Garder « Gestion des conflits »", exact=True).check()
    fac.get_by_role("button", name="Regrouper les besoins cochés").click()
    expect(fac.get_by_text("Besoins regroupés")).to_be_visible()
    expect(screen.get_by_role("heading", name="Gérer les conflits")).to_have_count(0)
    expect(chloe.get_by_role("heading", name="Gérer les conflits")).to_have_count(0)
    expect(card(screen, "Gestion des conflits")).to_contain_text("14 agents")
    expect(card(screen, "Gestion des conflits")).to_contain_text("1 stagiaire manquant pour atteindre 15")

    # Vote: dots within the budget; tallies hidden on the screen until revealed.
    fac.get_by_role("button", name="Vote").click()
    expect(anne.locator("#budget")).to_contain_text("5 gommettes restantes sur 5")
    for phone, title, dots in ((anne, "Gestion des conflits", 3), (bruno, "Gestion des conflits", 2),
                               (bruno, "Bureautique : tableur", 3), (chloe, "Bureautique : tableur", 1)):
        for _ in range(dots):
            card(phone, title).get_by_role("button", name="Ajouter une gommette").click()
        expect(card(phone, title).locator(".mine-count")).to_have_text(f"Vos gommettes : {dots}")
    card(anne, "Gestion des conflits").get_by_role("button", name="Ajouter une gommette").click()
    expect(anne.get_by_role("status").filter(has_text="Au plus 3 gommettes")).to_be_visible()
    expect(bruno.locator("#budget")).to_contain_text("Toutes vos gommettes sont posées (5)")
    expect(screen.locator(".votes")).to_have_count(0)

    # A phone loses the network, votes happen meanwhile, it comes back and catches up.
    chloe.context.set_offline(True)
    expect(chloe.locator("#live-status")).to_contain_text("Connexion perdue")
    card(anne, "Bureautique : tableur").get_by_role("button", name="Ajouter une gommette").click()
    expect(card(anne, "Bureautique : tableur").locator(".mine-count")).to_have_text("Vos gommettes : 1")
    chloe.context.set_offline(False)
    expect(chloe.locator("#live-status")).to_be_empty(timeout=15000)
    expect(card(chloe, "Bureautique : tableur").locator(".mine-count")).to_have_text("Vos gommettes : 1")
    expect(chloe.locator("#budget")).to_contain_text("4 gommettes restantes")

    # Reveal: the screen shows the dots, ranked.
    fac.get_by_role("button", name="Révéler les résultats").click()
    expect(card(screen, "Bureautique : tableur")).to_contain_text("5 gommettes")
    expect(card(screen, "Gestion des conflits")).to_contain_text("5 gommettes")
    expect(screen.locator(".needs-grid > li")).to_have_count(2)
    expect(card(anne, "Gestion des conflits").locator(".votes")).to_contain_text("Total : 5 gommettes")
    state = fac.request.get(f"{live_server.url}/seances/{live_server.seance_id}/etat.json").json()
    assert state["totals"]["dots"] == 10
    assert {n["title"]: n["dots"] for n in state["needs"]} == {"Gestion des conflits": 5,
                                                                "Bureautique : tableur": 5}
    # Equal dots: demand breaks the tie (14 agents against none).
    assert state["needs"][0]["title"] == "Gestion des conflits"

    screenshot(screen, "screen-vote")
    screenshot(anne, "phone-vote")
    screenshot(fac, "facilitator-vote")
    assert screen_same() and fac_same()
    for page in (screen, fac, anne, bruno, chloe):
        page.context.close()
