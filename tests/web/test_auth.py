from tests import factories


def test_login_page_is_french(client):
    page = client.get("/connexion").get_data(as_text=True)
    assert 'lang="fr"' in page
    assert "Espace animateur" in page


def test_wrong_password_is_refused_in_french(client, facilitator):
    response = client.post("/connexion", data={"email": facilitator.email, "password": "faux"})
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/seances/").status_code == 302


def test_login_then_logout(client, facilitator):
    response = client.post("/connexion?next=/perimetres/",
                           data={"email": facilitator.email, "password": factories.PASSWORD})
    assert response.location == "/perimetres/"
    assert client.get("/perimetres/").status_code == 200
    client.post("/deconnexion")
    assert client.get("/perimetres/").status_code == 302


def test_next_never_leaves_the_site(client, facilitator):
    response = client.post("/connexion?next=//evil.example/x",
                           data={"email": facilitator.email, "password": factories.PASSWORD})
    assert response.location == "/seances/"


def test_pages_require_a_login(client):
    for url in ("/seances/", "/seances/nouvelle", "/perimetres/", "/perimetres/nouveau",
                "/perimetres/1"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/connexion")


def test_csrf_is_enforced_on_forms(db_url, facilitator):
    from workshop import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "x"})
    response = app.test_client().post("/connexion", data={"email": facilitator.email,
                                                          "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "rechargez la page" in response.get_data(as_text=True)
    app.extensions["workshop.engine"].dispose()


def test_security_headers(client):
    headers = client.get("/connexion").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
