"""Every page audited by axe-core in Chromium (WCAG 2.1 A and AA), and the phone's weight."""

from pathlib import Path

import pytest
from sqlmodel import Session

from tests import factories
from tests.browser.conftest import screenshot
from workshop.db import make_engine
from workshop.models import Seance
from workshop.services import board

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def audit(page) -> list[str]:
    """axe-core's violations on the page as it is, one line each."""
    page.evaluate(AXE)  # evaluated by the browser's devtools channel: the page's CSP stays on
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
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
        out = {"token": person.token, "seance": seance.id, "perimetre": seance.perimetre_id}
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
                       ("ecran", f"/ecran/{live_server.screen_token}")]:
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
