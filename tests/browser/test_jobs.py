"""The export page in Chromium: a long job shows its progress bar, the PDF is handed over."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_facilitator import login

pytestmark = pytest.mark.browser


def test_the_progress_bar_then_the_pdf(page, live_server):
    login(page, live_server)
    page.goto(f"{live_server.url}/seances/{live_server.seance_id}/exports")
    expect(page.get_by_role("heading", name="Exports de la séance")).to_be_visible()

    # The ZIP of every collectivité's extract (about forty PDFs) takes a while: its bar moves.
    page.get_by_role("button", name=re.compile("Tous les extraits en un ZIP")).click()
    zip_job = page.locator("#jobs .job").first
    expect(zip_job.locator("progress")).to_be_visible()
    expect(zip_job.locator(".job-step")).to_contain_text("Extrait : ", timeout=60_000)

    page.get_by_role("button", name="Synthèse PDF (A4)").click()
    pdf_job = page.locator("#jobs .job").first
    link = pdf_job.get_by_role("link", name=re.compile(r"Télécharger synthese-.*\.pdf"))
    expect(link).to_be_visible(timeout=60_000)
    screenshot(page, "jobs-progress-and-pdf")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    name = download.suggested_filename
    assert name.startswith("synthese-") and name.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert not page.console_errors

    # Back later (the tab was closed): the export page still offers the file.
    page.goto(f"{live_server.url}/seances/{live_server.seance_id}/exports")
    expect(page.get_by_role("link", name=re.compile(r"Télécharger synthese-.*\.pdf"))).to_be_visible()
