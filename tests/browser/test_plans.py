"""A collectivité's plan in Chromium: uploaded, read, a cell corrected in the preview, confirmed,
and what was left out listed to download."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import audit
from workshop.db import make_engine
from workshop.models import Seance

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def test_upload_correct_and_confirm_a_plan(browser, live_server):
    engine = make_engine(live_server.database_url)
    with Session(engine) as db:
        perimetre_id = db.get(Seance, live_server.seance_id).perimetre_id
    engine.dispose()
    page = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR").new_page()
    page.goto(live_server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(live_server.email)
    page.get_by_label("Mot de passe").fill(live_server.password)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/perimetres/{perimetre_id}/plans/")
    page.get_by_label("Fichier", exact=True).set_input_files(str(DATA / "agents-en-texte.csv"))
    page.get_by_label("Collectivité du fichier").select_option(label="Orchies")
    page.get_by_role("button", name="Voir l'aperçu").click()

    # Read by the worker: at once, or after its progress page (a busy machine).
    expect(page.locator("#preview-counts")).to_contain_text("1 ligne comprise, 2 refusées", timeout=60_000)
    expect(page.locator("#file-facts")).to_contain_text("encodage UTF-8")
    expect(page.get_by_text("année relative « N+1 »")).to_be_visible()
    expect(page.locator("#columns-0 select").nth(1)).to_have_value("agents")
    screenshot(page, "plans-preview")
    assert audit(page) == []

    page.get_by_label("Année, ligne 4").fill("2028")
    page.get_by_role("button", name="Mettre à jour l'aperçu").click()
    expect(page.locator("#preview-counts")).to_contain_text("2 lignes comprises, 1 refusée", timeout=60_000)
    expect(page.locator("#row-0-4")).to_contain_text("(corrigé)")
    page.get_by_role("button", name="Confirmer l'import").click()

    imported = page.get_by_text("2 besoins importés depuis « agents-en-texte.csv »")
    expect(imported).to_be_visible(timeout=60_000)
    left_out = page.locator("#left-out")
    expect(left_out).to_contain_text("1 ligne laissée de côté")
    expect(left_out).to_contain_text("fourchette « 2 à 3 »")
    with page.expect_download() as download:
        left_out.get_by_role("link").click()
    assert download.value.suggested_filename.startswith("lignes-ecartees-")
    screenshot(page, "plans-confirmed")
    assert audit(page) == []
    page.goto(f"{live_server.url}/perimetres/{perimetre_id}/plans/")
    expect(page.locator("#import-history")).to_contain_text("agents-en-texte.csv")
    assert audit(page) == []


def test_a_big_plan_shows_its_reading_progress_then_its_preview(browser, live_server, monkeypatch):
    from bench.import_bench import csv_bytes, rows

    engine = make_engine(live_server.database_url)
    with Session(engine) as db:
        perimetre_id = db.get(Seance, live_server.seance_id).perimetre_id
    engine.dispose()
    big = Path(live_server.log).with_name("gros-plan.csv")
    # Near the limit (20,000 rows), so that even a fast machine takes seconds to read it and
    # the page has to show its progress (a small file's preview comes within the first second).
    big.write_bytes(csv_bytes(rows(19_500)))
    page = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR").new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(live_server.email)
    page.get_by_label("Mot de passe").fill(live_server.password)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/perimetres/{perimetre_id}/plans/")
    page.get_by_label("Fichier", exact=True).set_input_files(str(big))
    page.get_by_label("Collectivité du fichier").select_option(label="Orchies")
    page.get_by_role("button", name="Voir l'aperçu").click()

    # The worker reads the rows: the page shows the bar and how far it has read.
    expect(page.locator("#preview-job progress")).to_be_visible()
    expect(page.locator("#preview-job .job-step")).to_contain_text("lignes lues", timeout=60_000)
    screenshot(page, "plans-preview-progress")
    assert audit(page) == []
    # Once read, the page goes to the preview by itself.
    expect(page.locator("#preview-counts")).to_contain_text("19\u202f500 lignes comprises, 0 refusée",
                                                            timeout=90_000)
    expect(page.locator("#rows-not-shown")).to_contain_text("19\u202f200 autres lignes ne sont pas affichées")
    expect(page.locator("#columns-0 select").nth(2)).to_have_value("agents")
    screenshot(page, "plans-preview-big")
    assert errors == []


def test_a_preview_without_details_keeps_its_headers_whole_and_nothing_to_import_says_why(
        browser, live_server, tmp_path):
    """The "Détails" header wrapped « D / ét / ai / ls » when no row had details; a header-only
    file showed "0 ligne comprise" and a "Confirmer l'import" button."""
    engine = make_engine(live_server.database_url)
    with Session(engine) as db:
        perimetre_id = db.get(Seance, live_server.seance_id).perimetre_id
    engine.dispose()
    page = browser.new_context(viewport={"width": 1024, "height": 800}, locale="fr-FR").new_page()
    page.goto(live_server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill(live_server.email)
    page.get_by_label("Mot de passe").fill(live_server.password)
    page.get_by_role("button", name="Se connecter").click()
    plain = tmp_path / "sans-details.csv"
    plain.write_text("Action;Agents;Année\nSauveteur secouriste du travail, formation initiale;4;2027\n"
                     "Conduire l'entretien professionnel annuel des agents;2;2028\n", encoding="utf-8")
    header_only = tmp_path / "en-tete-seul.csv"
    header_only.write_text("Action;Agents;Année\n", encoding="utf-8")
    for path in (plain, header_only):
        page.goto(f"{live_server.url}/perimetres/{perimetre_id}/plans/")
        page.get_by_label("Fichier", exact=True).set_input_files(str(path))
        page.get_by_label("Collectivité du fichier").select_option(label="Orchies")
        page.get_by_role("button", name="Voir l'aperçu").click()
        expect(page.locator("#preview-counts")).to_be_visible(timeout=60_000)
        if path == plain:
            details = page.locator("th.preview-details").bounding_box()
            line = page.get_by_role("columnheader", name="Ligne").bounding_box()
            assert details["height"] == line["height"] and details["width"] >= 100  # one line, 8rem
            expect(page.get_by_role("button", name="Confirmer l'import")).to_be_visible()
            screenshot(page, "plans-preview-no-details")
        else:
            expect(page.locator("#nothing-to-import")).to_contain_text(
                "Aucune ligne de données dans ce fichier : il n'y a rien à importer.")
            expect(page.get_by_text("Aucune ligne de données sous l'en-tête (ligne 1).")).to_be_visible()
            expect(page.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
            screenshot(page, "plans-preview-nothing-to-import")
        assert audit(page) == []
