"""The harness reads the screen as people do: numbers with their thousands separators."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("aiohttp", reason="the load harness's client needs aiohttp: "
                    "pip install 'python-socketio[asyncio_client]'")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from harness.measures import board_counts  # noqa: E402


def test_the_screen_s_counts_are_read_whole_past_a_thousand():
    # 5,000 phones, 10,000 dots: the screen writes "1 234 gommettes" (a narrow no-break
    # space in French); reading "234" made half the stored votes look lost.
    html = ('<div id="need-1-info"><strong>1\u202f234 gommettes</strong></div>'
            '<div id="need-2-info"><strong>999 gommettes</strong></div>'
            '<div id="need-3-info"><strong>12,345 gommettes</strong></div>'
            '<div id="need-4-info"><strong>1 gommette</strong> · 40 agents</div>')
    assert board_counts(html) == {1: 1234, 2: 999, 3: 12345, 4: 1}


def test_a_rendered_screen_board_is_read_whole(app, db, facilitator):
    """The screen's real partial, in French, with a tally past a thousand."""
    from flask import render_template
    from flask_babel import force_locale

    from tests import factories
    from workshop.services import board

    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    need = factories.need(db, seance, "Budget M57", "fin-budget-m57")
    seance.tallies_visible = True
    snapshot = board.snapshot(db, seance)
    snapshot.needs[0].dots = 1234
    with app.test_request_context("/"), force_locale("fr"):
        html = render_template("screen/_board.html", board=snapshot, plan=None, names=None)
    assert "1\u202f234" in html
    assert board_counts(html) == {need.id: 1234}
