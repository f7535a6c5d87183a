"""The projected screen in every phase, at 1920x1080 and 1280x720: every text the room reads is
at least 28 px at 1080p (the same share of the height at 720p), the QR code is there and a
camera decodes it to the join address, the countdown is a tenth of the height at least, and a
screenshot of each state is saved (tests/artifacts/screen-phase-*.png)."""

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import screen_states

pytestmark = pytest.mark.browser
SIZES = [(1920, 1080), (1280, 720)]
SMALLEST = 28  # px at 1080p, for anything a participant reads

# Every visible text node and its computed font size, outside the facilitator's switches
# (contrast, sound) and the texts for screen readers only.
# Pages that turn (long lists) are each shown in turn (their turning stopped, so that the
# screenshot shows the page measured).
TEXTS = """shown => {
  document.querySelectorAll('.pages').forEach(box => {
    box.removeAttribute('data-pages');
    const pages = box.querySelectorAll(':scope > .page');
    pages.forEach((page, i) => { page.hidden = i !== shown % pages.length; });
  });
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('.screen-tools, .sr-only, script, [hidden]')) continue;
    const range = document.createRange(); range.selectNodeContents(node);
    const boxes = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if (!boxes.length) continue;
    // Cut: outside a box that clips it (a clamp with an ellipsis is meant, and says so).
    let cut = false;
    const style = getComputedStyle(el);
    const meant = style.textOverflow === 'ellipsis' || style.webkitLineClamp !== 'none';
    for (let box = el; box && box !== document.body && !meant; box = box.parentElement) {
      if (getComputedStyle(box).overflow === 'visible') continue;
      const r = box.getBoundingClientRect();
      cut = cut || boxes.some(b => b.bottom > r.bottom + 2 || b.right > r.right + 2);
    }
    cut = cut || (!meant && boxes.some(b => b.bottom > innerHeight || b.right > innerWidth));
    found.push({text: text.slice(0, 60), size: parseFloat(style.fontSize), cut,
                cls: typeof el.className === 'string' ? el.className : ''});
  }
  return found;
}"""


TONES = """(() => {
  window.tones = 0;
  const Context = window.AudioContext;
  if (!Context) return;
  const make = Context.prototype.createOscillator;
  Context.prototype.createOscillator = function () { window.tones += 1; return make.call(this); };
})();"""


def decoded(page) -> list[str]:
    shot = Image.open(io.BytesIO(page.screenshot()))
    return [r.text for r in zxingcpp.read_barcodes(shot)]


def test_every_phase_reads_from_the_back_of_the_room(browser, live_server):
    pages = {}
    for width, height in SIZES:
        # The 720p projector's computer asks for reduced motion: nothing moves there.
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR",
                                      reduced_motion="reduce" if height == 720 else "no-preference")
        # Count the tones the page makes (the browser's own Web Audio, counted, not replaced).
        context.add_init_script(TONES)
        page = context.new_page()
        page.clock.install()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        pages[width, height] = page, errors
    seen = set()
    for state in screen_states(live_server):
        for (width, height), (page, errors) in pages.items():
            page.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
            page.wait_for_load_state("networkidle")
            expect(page.locator("#screen-header")).to_have_attribute(
                "data-phase", re.compile(state.split("-")[0]))
            if state == "vote":
                # The countdown runs: a ring a tenth of the height at least; at the end it says so.
                ring = page.locator("[data-timer-ring]")
                expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^\d+:\d\d$"))
                assert ring.bounding_box()["height"] >= 0.1 * height
                expect(page.locator(".participation-text")).to_contain_text(
                    "5 participants sur 5 ont voté · 25 gommettes sur 25")
                # The facilitator switches the sound on (at 1080p), off and on again.
                sound = height == 1080
                if sound:
                    page.get_by_role("button", name="Son à la fin : désactivé").click()
                    expect(page.get_by_role("button", name="Son à la fin : activé")).to_have_attribute(
                        "aria-pressed", "true")
                    page.get_by_role("button", name="Son à la fin : activé").click()
                    page.get_by_role("button", name="Son à la fin : désactivé").click()
                # The ring empties with the time left (a one-minute timer here). Time flies for
                # the page only: its socket times out and reconnects; the server's clock is not
                # measured again meanwhile (it would bring the page back to the real time).
                page.route("**/heure", lambda route: route.abort())
                page.clock.fast_forward(25_000)
                left, empty = page.evaluate("""() => {
                    const [m, s] = document.querySelector('[data-countdown]').textContent.split(':');
                    return [Number(m) * 60 + Number(s),
                            Number(document.querySelector('.ring-left').getAttribute('stroke-dashoffset'))];
                }""")
                assert 0 < left < 40 and abs(empty - (1 - left / 60) * 100) < 5, (left, empty)
                expect(page.locator(".timer-over")).to_be_hidden()
                assert page.evaluate("window.tones") == 0
                page.clock.run_for(40_000)  # second by second, as the room lives it
                expect(page.locator(".timer-over")).to_be_visible()
                expect(page.locator(".timer-over")).to_have_text("Temps écoulé")
                expect(page.locator(".timer-ring.over")).to_have_count(1)
                expect(page.locator("[data-countdown]")).to_have_text("0:00")
                # One short beep (two tones) when the sound is on, none otherwise.
                assert page.evaluate("window.tones") == (2 if sound else 0)
                motion = page.evaluate(
                    "getComputedStyle(document.querySelector('.ring-left')).transitionDuration")
                assert motion == ("0s" if height == 720 else "1s"), motion
                # A reload measures the server's clock again, whose minute is not over.
                page.unroute("**/heure")
                page.goto(f"{live_server.url}/ecran/{live_server.screen_token}")
                page.wait_for_load_state("networkidle")
                expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^0:[1-5]\d$"))
                expect(page.locator(".timer-over")).to_be_hidden()
            if state == "resultats":
                expect(page.locator(".page:not([hidden]) .chart-row").first).to_be_visible()
                if height == 720:  # reduced motion: the bars are drawn at once
                    assert page.evaluate("getComputedStyle(document.querySelector('.chart-bar .fill'))"
                                         ".animationName") == "none"
                expect(page.locator(".ranking-weighting")).to_contain_text("pondérées par collectivité")
                expect(page.locator(".page-of").first).to_have_text("page 1/3")
            if state == "plan":
                expect(page.locator(".tl-year")).to_have_count(3)
                expect(page.locator(".tl-below").first).to_be_visible()
            name = f"screen-phase-{state}-{width}x{height}"
            seen.add(name)

            smallest = SMALLEST * height / 1080
            for shown in range(max(page.locator(".pages > .page").count(), 1)):
                texts = page.evaluate(TEXTS, shown)
                path = screenshot(page, f"{name}-page{shown + 1}" if shown else name)
                assert texts, state
                small = [t for t in texts if t["size"] < smallest - 0.01]
                assert small == [], (state, width, shown, smallest, small[:8])
                cut = [t for t in texts if t["cut"]]
                assert cut == [], (state, width, shown, cut[:8], path)
            # Nothing the room reads sticks out of the screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.evaluate("document.documentElement.scrollHeight") <= height

            qr = page.get_by_role("img", name=re.compile("QR code vers"))
            join_url = qr.get_attribute("aria-label").removeprefix("QR code vers ")
            box = qr.locator("svg").bounding_box()
            assert box["x"] >= 0 and box["y"] >= 0, box
            assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, box
            assert box["height"] >= 0.25 * height, (state, box)
            for part in ("welcome-url", "welcome-code"):
                where = page.locator(f".{part}").bounding_box()
                assert where and where["y"] + where["height"] <= height, (state, part, where)
            assert decoded(page) == [join_url], (state, path)
            assert errors == [], errors
    for page, _errors in pages.values():
        page.context.close()
    assert len(seen) == 12


def test_a_busy_room_still_fits_the_screen(browser, live_server):
    """Forty people, twenty-eight needs (long titles among them), the default capacity: every
    phase's text stays whole and large enough from 800x600 to 1920x1080."""
    from sqlmodel import Session

    from tests import factories
    from workshop.db import make_engine
    from workshop.models import Facilitator, Seance
    from workshop.schemas import SeanceSettings
    from workshop.services import board, seances

    engine = make_engine(live_server.database_url)
    with Session(engine, expire_on_commit=False) as db:
        owner = db.get(Facilitator, db.get(Seance, live_server.seance_id).owner_id)
        seance = factories.populated_seance(db, owner, people=40, needs=28)
        person = factories.participant(db, seance, "Orchies")
        factories.phase(db, seance, "recueil")
        long = factories.need(db, seance, "Prévention des risques psychosociaux et accompagnement "
                              "des agents en situation d'épuisement professionnel", "rh-rps", by=person)
        factories.ok(board.declare(db, seance, person, long.id, seance.horizon_start + 2, 4))
        factories.phase(db, seance, "vote")
        factories.ok(seances.update_settings(db, seance, SeanceSettings(
            dot_budget=5, max_dots_per_need=3, weighting="participant", tallies_visible=True), owner.id))
        token = seance.screen_token
        phases = []
        for phase in ("vote", "resultats", "plan"):
            factories.phase(db, seance, phase)
            seances.set_timer(db, seance, 5, owner.id)
            phases.append(phase)
            for width, height in [(1920, 1080), (1280, 720), (800, 600)]:
                context = browser.new_context(viewport={"width": width, "height": height},
                                              locale="fr-FR")
                page = context.new_page()
                page.goto(f"{live_server.url}/ecran/{token}")
                page.wait_for_load_state("networkidle")
                smallest = SMALLEST * height / 1080
                for shown in range(max(page.locator(".pages > .page").count(), 1)):
                    texts = page.evaluate(TEXTS, shown)
                    name = f"screen-busy-{phase}-{width}x{height}" + (f"-page{shown + 1}" if shown else "")
                    path = screenshot(page, name)
                    small = [t for t in texts if t["size"] < smallest - 0.01]
                    assert small == [], (phase, width, shown, small[:8])
                    cut = [t for t in texts if t["cut"]]
                    assert cut == [], (phase, width, shown, cut[:8], path)
                qr = page.get_by_role("img", name=re.compile("QR code vers"))
                assert decoded(page) == [qr.get_attribute("aria-label").removeprefix("QR code vers ")]
                context.close()
    engine.dispose()
    assert phases == ["vote", "resultats", "plan"]
