"""A facilitator logs in, builds a perimeter from an EPCI and creates a séance, in Chromium."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def login(page, server):
    page.goto(server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(server.email)
    page.get_by_label("Mot de passe").fill(server.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Séances")).to_be_visible()


def settle(page):
    """Wait until htmx has swapped and wired the new content (as a person would, unknowingly)."""
    # Polled from outside: the page's CSP (rightly) forbids wait_for_function's eval.
    for _ in range(100):
        if not page.evaluate("!!document.querySelector('.htmx-request, .htmx-swapping, "
                             ".htmx-settling')"):
            return
        page.wait_for_timeout(50)
    raise AssertionError("htmx did not settle")


def test_build_a_perimeter_and_create_a_seance(page, live_server):
    page.goto(live_server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(live_server.email)
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
    login(page, live_server)

    page.get_by_role("link", name="Périmètres").click()
    page.get_by_role("link", name="Nouveau périmètre").click()
    page.get_by_role("button", name="Créer le périmètre").click()
    expect(page.get_by_role("alert")).to_contain_text("Choisissez au moins une intercommunalité.")

    page.get_by_label("Nom du périmètre").fill("Pévèle-Carembault")
    page.get_by_label("CC Pévèle-Carembault").check()
    page.get_by_role("button", name="Créer le périmètre").click()
    expect(page.get_by_text("Périmètre « Pévèle-Carembault » créé.")).to_be_visible()
    expect(page.get_by_role("heading", name="39 collectivités")).to_be_visible()

    # htmx: the coordinator changes without a page load.
    page.evaluate("window.__noReload = true")
    page.get_by_label("Coordinatrice", exact=True).select_option(label="Orchies")
    page.get_by_role("button", name="Désigner").click()
    expect(page.get_by_text("Orchies est la coordinatrice.")).to_be_visible()
    expect(page.locator(".coordinator")).to_have_text("Orchies")

    settle(page)
    page.get_by_label("Une commune (nom ou code postal)").fill("lille")
    page.get_by_role("button", name="Ajouter Lille", exact=True).click()
    expect(page.get_by_role("heading", name="40 collectivités")).to_be_visible()
    settle(page)

    page.get_by_label("Une collectivité hors référentiel").fill("CCAS d'Orchies")
    page.locator("#hand-kind").select_option("ccas")
    page.locator("form[action$='/hors-referentiel'] button").click()
    expect(page.get_by_role("heading", name="41 collectivités")).to_be_visible()
    settle(page)
    page.get_by_label("Une collectivité hors référentiel").fill("ccas d’orchies")
    page.locator("form[action$='/hors-referentiel'] button").click()
    expect(page.get_by_role("alert")).to_contain_text("fait déjà partie du périmètre")
    assert page.evaluate("window.__noReload") is True
    screenshot(page, "perimetre-detail")

    page.get_by_role("link", name="Créer une séance").click()
    page.get_by_label("Titre").fill("Co-conception du plan 2027-2029")
    page.get_by_label("Gommettes au plus sur un besoin").fill("9")
    page.get_by_role("button", name="Créer la séance").click()
    expect(page.locator("#max_dots_per_need-error")).to_have_text(
        "Le nombre maximal de gommettes par besoin ne peut pas dépasser le budget.")
    expect(page.get_by_label("Gommettes au plus sur un besoin")).to_have_attribute(
        "aria-invalid", "true")
    page.get_by_label("Gommettes au plus sur un besoin").fill("3")
    page.get_by_label("Chaque collectivité compte autant").check()
    page.get_by_role("button", name="Créer la séance").click()
    expect(page.get_by_text("Séance « Co-conception du plan 2027-2029 » créée.")).to_be_visible()
    code = page.locator(".join-code").inner_text()
    assert len(code) == 7 and code[3] == "-"
    expect(page.get_by_text("par collectivité")).to_be_visible()
    screenshot(page, "seance-detail")

    page.get_by_role("link", name="Séances").click()
    row = page.get_by_role("row", name="Co-conception du plan 2027-2029")
    expect(row).to_contain_text(code)
    expect(row).to_contain_text("Accueil")
    # Short words are never cut: each header, date and code holds on one line (a table in a
    # body with "overflow-wrap: anywhere" squeezed "Phase" into "Phas/e").
    # A narrow window squeezes the table: its long title wraps, not the short words.
    lines = """e => { const r = document.createRange(); r.selectNodeContents(e);
                      return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"""
    size = page.viewport_size
    page.set_viewport_size({"width": 760, "height": size["height"]})
    for cell in page.locator("table.list th").all() + row.locator("td").all()[:1] + \
            row.locator("td.code").all():
        assert cell.evaluate(lines) == 1, cell.inner_text()
    screenshot(page, "seances-list-narrow")
    page.set_viewport_size(size)
    screenshot(page, "seances-list")
    # Refusals answer 422 and the wrong password 401 (the browser logs them); nothing else.
    assert [e for e in page.console_errors if "422" not in e and "401" not in e] == []


def test_login_page_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="fr-FR",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(live_server.url + "/connexion")
    button = page.get_by_role("button", name="Se connecter")
    box = button.bounding_box()
    assert box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "login-phone")
    context.close()
