"""Every page audited by axe-core in Chromium (WCAG 2.1 A and AA; AAA contrast on the
projected screen), and the phone's weight."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from workshop.db import make_engine
from workshop.models import Seance
from workshop.schemas import SeanceSettings
from workshop.services import board, seances
from workshop.services import plan as plan_service

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The screen is read from the back of a room: AAA contrast too (color-contrast-enhanced,
# 7:1 for text, 4.5:1 for large text), a rule axe runs only when its tag is asked for.
AAA = [*TAGS, "wcag2aaa"]


def audit(page, tags=TAGS) -> list[str]:
    """axe-core's violations on the page as it is, one line each."""
    page.evaluate(AXE)  # evaluated by the browser's devtools channel: the page's CSP stays on
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", tags)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]]


def seed(server) -> dict:
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        factories.phase(db, seance, "recueil")
        person = factories.participant(db, seance, "Orchies")
        need = factories.need(db, seance, "Accueil des publics", "acc-accueil-public", by=person)
        board.declare(db, seance, person, need.id, 2027, 6)
        factories.phase(db, seance, "vote")
        board.vote(db, seance, person, need.id, 2)
        stand_in = factories.proxy(db, seance, "Cysoing")
        out = {"token": person.token, "seance": seance.id, "perimetre": seance.perimetre_id,
               "proxy": stand_in.id}
    engine.dispose()
    return out


def test_every_page_passes_axe(browser, live_server):
    data = seed(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    failures = {}
    page.goto(live_server.url + "/connexion")
    failures["connexion"] = audit(page)
    page.get_by_label("Adresse e-mail").fill(live_server.email)
    page.get_by_label("Mot de passe").fill(live_server.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/seances/")
    sid, pid = data["seance"], data["perimetre"]
    for name, path in [("seances", "/seances/"), ("seance", f"/seances/{sid}"),
                       ("perimetres", "/perimetres/"), ("perimetre", f"/perimetres/{pid}"),
                       ("nouveau-perimetre", "/perimetres/nouveau"),
                       ("nouvelle-seance", "/seances/nouvelle"),
                       ("pilotage", f"/seances/{sid}/pilotage"), ("plan", f"/seances/{sid}/plan/"),
                       ("exports", f"/seances/{sid}/exports"), ("synthese", f"/seances/{sid}/synthese"),
                       ("plans", f"/perimetres/{pid}/plans/"),
                       ("ecran", f"/ecran/{live_server.screen_token}"),
                       ("saisie-procuration", f"/seances/{sid}/procuration/{data['proxy']}")]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        failures[name] = audit(page)
    context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                has_touch=True, locale="fr-FR")
    phone_page = phone.new_page()
    phone_page.goto(f"{live_server.url}/j/{live_server.join_code}")
    failures["telephone-rejoindre"] = audit(phone_page)
    phone.add_cookies([{"name": f"p_{sid}", "value": data["token"], "url": live_server.url}])
    phone_page.goto(f"{live_server.url}/j/{live_server.join_code}")
    failures["telephone"] = audit(phone_page)
    phone_page.goto(f"{live_server.url}/j/")
    failures["telephone-code"] = audit(phone_page)
    phone.close()

    found = {name: v for name, v in failures.items() if v}
    assert found == {}, "\n".join(f"{name}: {line}" for name, v in found.items() for line in v)


def screen_states(server):
    """The séance walked through its phases by the services; yields each state the screen
    shows in its own way: welcome, empty board, needs, votes with a countdown, results, plan."""
    engine = make_engine(server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        seance = db.get(Seance, server.seance_id)
        owner = seance.owner_id
        people = [factories.participant(db, seance, name) for name in
                  ("Orchies", "Cysoing", "Phalempin", "Templeuve-en-Pévèle", "Orchies")]
        yield "accueil"
        factories.phase(db, seance, "recueil")
        yield "recueil-vide"
        # A paid theme over its threshold, a need under it, one in between.
        needs = []
        for person, (title, code, agents) in zip(people, [
                ("CACES nacelles", "hs-caces", 14), ("Accueil des publics", "acc-accueil-public", 6),
                ("Gestion des conflits", "mgt-encadrement-proximite", 9)], strict=False):
            needs.append(factories.need(db, seance, title, code, by=person))
            factories.ok(board.declare(db, seance, person, needs[-1].id, 2027, agents))
        yield "recueil"
        # Past twelve needs the screen keeps six cards and turns the others by pages.
        needs += [factories.need(db, seance, f"Besoin n°{i}", "num-bureautique") for i in range(4, 15)]
        factories.ok(seances.update_settings(db, seance, SeanceSettings(
            dot_budget=5, max_dots_per_need=3, weighting="collectivite", tallies_visible=True), owner))
        factories.phase(db, seance, "vote")
        for i, person in enumerate(people):
            factories.ok(board.vote(db, seance, person, needs[i % 3].id, 3))
            factories.ok(board.vote(db, seance, person, needs[3 + i].id, 2))
        # Two more needs over their threshold, so that the plan has lines to place.
        factories.ok(board.declare(db, seance, people[0], needs[1].id, 2027, 10))
        factories.ok(board.declare(db, seance, people[3], needs[2].id, 2027, 8))
        seances.set_timer(db, seance, 1, owner)
        yield "vote"
        factories.phase(db, seance, "resultats")
        yield "resultats"
        factories.phase(db, seance, "plan")
        # Little capacity: full years, and a line left without a year.
        factories.ok(plan_service.set_capacity(db, seance, {2027: 2, 2028: 3, 2029: 0}, owner))
        yield "plan"
    engine.dispose()


def test_the_screen_passes_aaa_contrast_in_every_phase_and_both_themes(browser, live_server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    page = context.new_page()
    page.clock.install()  # time flows as usual until the test moves it forward
    failures = {}
    for state in screen_states(live_server):
        for theme, query in (("normal", ""), ("fort", "?contraste=fort")):
            page.goto(f"{live_server.url}/ecran/{live_server.screen_token}{query}")
            page.wait_for_load_state("networkidle")
            countdown = page.locator("[data-countdown]")
            if countdown.count():
                # The last 30 seconds change the countdown's colour: audit that one. The
                # countdown follows the server's clock measured on the page's monotonic
                # clock, so the page's whole clock (Date and performance) moves forward.
                expect(countdown).to_have_text(re.compile(r"^\d+:\d\d$"))
                minutes, seconds = countdown.inner_text().split(":")
                page.clock.fast_forward((int(minutes) * 60 + int(seconds) - 20) * 1000)
                expect(page.locator(".timer.ending")).to_have_count(1)
            screenshot(page, f"screen-{state}-{theme}")
            failures[f"{state}, {theme}"] = audit(page, AAA)
    context.close()
    found = {name: v for name, v in failures.items() if v}
    assert found == {}, "\n".join(f"{name}: {line}" for name, v in found.items() for line in v)


def test_the_screen_audit_catches_what_aa_lets_through(browser, live_server):
    """#767676 on white is 4.5:1: enough for AA, not for the screen's 7:1 (small text)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
    page.evaluate("""() => {
        const p = document.createElement('p'); p.textContent = 'Texte gris';
        p.style.color = '#767676'; p.style.fontSize = '18px';
        document.querySelector('.welcome-text').append(p);
    }""")
    assert audit(page) == []
    assert [line.split(" ")[0] for line in audit(page, AAA)] == ["color-contrast-enhanced"]
    context.close()


def test_the_phone_first_visit_weighs_under_100_kb(browser, live_server):
    data = seed(live_server)
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True,
                                  locale="fr-FR")
    context.add_cookies([{"name": f"p_{data['seance']}", "value": data["token"],
                          "url": live_server.url}])
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(f"{live_server.url}/j/{live_server.join_code}")
    page.wait_for_load_state("networkidle")
    transferred = 0
    for request in responses:
        sizes = request.sizes()
        transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "phone-320")
    print(f"\nphone first visit: {len(responses)} requests, {transferred / 1024:.1f} KiB")
    assert transferred < 100 * 1024, f"{transferred} bytes"
    context.close()


def test_the_audit_catches_a_violation(browser, live_server):
    """The check itself can fail: an image without text and a low-contrast text are reported."""
    page = browser.new_page()
    page.goto(live_server.url + "/connexion")
    page.evaluate("""() => {
        const img = document.createElement('img'); img.src = '/static/favicon.svg';
        document.querySelector('main').append(img);
        const p = document.createElement('p'); p.textContent = 'Texte trop pâle';
        p.style.color = '#eeeeee'; document.querySelector('main').append(p);
    }""")
    ids = {line.split(" ")[0] for line in audit(page)}
    assert {"image-alt", "color-contrast"} <= ids
    page.close()


def test_the_phone_passes_axe_in_every_phase_with_its_disclosures_open(browser, live_server):
    """Issue 15: every phase at 360 px, French and English, the add form and a declaring box
    open in the collection phase, "Mes besoins" on, and the page to change one's collectivité."""
    from tests.browser.test_phone_compact import PHASES, phone, seed, to_phase

    data = seed(live_server, needs=6)
    page = phone(browser, live_server, data["token"], 360)
    failures = {}
    for name in PHASES:
        to_phase(live_server, name)
        for lang in ("fr", "en"):
            page.goto(f"{live_server.url}/langue/{lang}?next=/j/{live_server.join_code}")
            expect(page.locator("body")).to_have_attribute("data-connected", "yes", timeout=15000)
            if name == "recueil":
                page.locator("#add-need > summary").click()
                page.locator(".declare-box > summary").first.click()
                page.locator(".filter-button[data-filter='mine']").click()
                expect(page.locator("form.declare").first).to_be_visible()
            failures[f"{name}, {lang}"] = audit(page)
    page.goto(f"{live_server.url}/j/{live_server.join_code}/moi")
    failures["changer"] = audit(page)
    page.context.close()
    found = {name: v for name, v in failures.items() if v}
    assert found == {}, "\n".join(f"{name}: {line}" for name, v in found.items() for line in v)
