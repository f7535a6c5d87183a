"""Long words wrap everywhere (phone 360 px, screen cards, the PDF), and the screen's QR code
fits and decodes in every phase at every projector size from 800x600 up (decoded from the
screenshot by zxing-cpp, as a phone's camera would)."""

import io
import re
import time

import pypdfium2
import pytest
import requests
import zxingcpp
from PIL import Image
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from workshop.db import make_engine
from workshop.models import Facilitator, Seance
from workshop.services import board

pytestmark = pytest.mark.browser
# A link pasted as a title: 160 characters and not one place where a line may break.
LONG = "https://www.cnfpt.fr/formations?ref=" + "EAIaIQobChMIx9_2qK7_7gIVjO3tCh0" * 4
SIZES = [(800, 600), (1024, 768), (1280, 720), (1920, 1080)]


def overflow(page, width: int) -> int:
    """How many CSS pixels the page is wider than the device's `width` (0: nothing sticks out;
    a phone's layout viewport widens to its content, so innerWidth would not tell)."""
    return page.evaluate("document.documentElement.scrollWidth") - width


@pytest.fixture
def long_needs(live_server):
    """Needs whose titles and details hold a URL with no break opportunity."""
    engine = make_engine(live_server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, live_server.seance_id)
        factories.phase(db, seance, "recueil")
        person = factories.participant(db, seance, "Orchies")
        for i in range(4):
            need = factories.need(db, seance, f"{LONG}{i}", "acc-accueil-public", details=LONG * 2)
            board.declare(db, seance, person, need.id, 2027, 3)
        owner = db.get(Facilitator, seance.owner_id)
    engine.dispose()
    return live_server, person.token, owner


def test_long_words_wrap_on_the_phone_the_screen_and_the_pdf(browser, long_needs):
    server, token, _owner = long_needs
    phone = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                has_touch=True, locale="fr-FR")
    phone.add_cookies([{"name": f"p_{server.seance_id}", "value": token,
                        "url": server.url}])
    page = phone.new_page()
    page.goto(f"{server.url}/j/{server.join_code}")
    page.wait_for_selector("article.need")
    screenshot(page, "long-words-phone-360")
    assert overflow(page, 360) <= 0
    phone.close()

    screen = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    page = screen.new_page()
    page.goto(f"{server.url}/ecran/{server.screen_token}")
    page.wait_for_selector("article.need")
    screenshot(page, "long-words-screen-1280")
    assert overflow(page, 1280) <= 0
    widths = page.eval_on_selector_all("article.need", "cards => cards.map(c => c.scrollWidth)")
    assert widths and max(widths) <= 1280, widths
    screen.close()

    # The PDF summary: nothing is drawn in the right margin (a word that does not wrap runs
    # through it to the paper's edge).
    http = requests.Session()
    page_text = http.get(f"{server.url}/connexion").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page_text).group(1)
    http.post(f"{server.url}/connexion", data={"email": server.email, "password": server.password,
                                               "csrf_token": csrf})
    # The PDF is made by the worker: the address hands it over when ready, else the job's page
    # (which the test reads again until its file is there).
    pdf = http.get(f"{server.url}/seances/{server.seance_id}/synthese.pdf")
    deadline = time.monotonic() + 90
    while not pdf.content.startswith(b"%PDF") and time.monotonic() < deadline:
        job = re.search(r'/travaux/([\w-]+)', pdf.url + " " + pdf.text)
        assert job, pdf.text[:500]
        time.sleep(0.5)
        pdf = http.get(f"{server.url}/travaux/{job.group(1)}/fichier")
        if pdf.status_code != 200:
            pdf = http.get(f"{server.url}/travaux/{job.group(1)}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(pdf.content)
    for index in range(len(document)):
        image = document[index].render(scale=1).to_pil().convert("L")
        width, height = image.size
        margin = image.crop((width - int(width * 0.04), 0, width, height))  # the last 4 %
        assert margin.getextrema()[0] > 200, f"ink in the right margin of page {index + 1}"
        if index == 0:
            image.save(screenshot_path("long-words-pdf-page1"))


def screenshot_path(name: str) -> str:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")


@pytest.mark.parametrize("width,height", SIZES)
def test_the_qr_code_fits_and_decodes_at_every_projector_size(browser, live_server, width, height):
    """In every phase: half the height in the welcome, a quarter after it (the side column
    that stays for latecomers), with the address and the code, all inside the screen."""
    from tests.browser.test_accessibility import screen_states

    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    page = context.new_page()
    for state in screen_states(live_server):
        page.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
        page.wait_for_load_state("networkidle")
        qr = page.get_by_role("img", name=re.compile("QR code vers"))
        join_url = qr.get_attribute("aria-label").removeprefix("QR code vers ")
        box = qr.locator("svg").bounding_box()
        path = screenshot(page, f"screen-{state}-{width}x{height}")
        # Whole and inside the viewport, big enough to be read from the first rows.
        assert box["x"] >= 0 and box["y"] >= 0, (state, box)
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (state, box)
        assert box["height"] >= (0.4 if state == "accueil" else 0.25) * height, (state, box)
        assert overflow(page, width) <= 0, state
        for part in (".welcome-code", ".welcome-url"):
            where = page.locator(part).bounding_box()
            assert where["x"] >= 0 and where["x"] + where["width"] <= width, (state, part, where)
            assert where["y"] + where["height"] <= height, (state, part, where)
        # What a camera reads in the picture of the screen.
        shot = Image.open(io.BytesIO(page.screenshot()))
        decoded = [r.text for r in zxingcpp.read_barcodes(shot)]
        assert decoded == [join_url], (state, decoded, path)
    context.close()
