"""The server's start (workshop/server.py): what it prepares before the first request."""

from workshop.server import _compile_templates


def test_every_page_and_fragment_is_compiled_before_the_first_request(app):
    env = app.jinja_env
    names = env.list_templates(filter_func=lambda n: n.endswith(".html"))
    assert len(names) > 50  # pages, partials, exports
    _compile_templates(app)
    compiled = {name for _loader, name in env.cache.keys()}
    assert set(names) <= compiled
