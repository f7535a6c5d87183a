import html
import os

from workshop import config, create_app


def test_defaults_are_an_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("WORKSHOP_DATABASE_URL", raising=False)
    monkeypatch.delenv("WORKSHOP_SECRET_KEY", raising=False)
    settings = config.load(str(tmp_path / "instance"))
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'workshop.sqlite3'}"
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text() == settings["SECRET_KEY"]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # Generated once and kept: a restart keeps the facilitators logged in.
    assert config.load(str(tmp_path / "instance"))["SECRET_KEY"] == settings["SECRET_KEY"]


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/x")
    monkeypatch.setenv("WORKSHOP_SECRET_KEY", "from-env")
    settings = config.load(str(tmp_path))
    assert settings["DATABASE_URL"] == "postgresql://db.example/x"
    assert settings["SECRET_KEY"] == "from-env"
    assert not os.path.exists(tmp_path / "secret_key")


def test_testing_config_is_applied(db_url):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url})
    assert app.testing
    assert app.extensions["workshop.engine"].url.render_as_string().startswith("sqlite:///")
    assert app.template_folder.endswith("templates")
    app.extensions["workshop.engine"].dispose()


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Cette page n'existe pas" in html.unescape(response.get_data(as_text=True))
