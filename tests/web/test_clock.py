import time


def test_the_server_clock_in_milliseconds_never_cached(client):
    before = time.time() * 1000
    response = client.get("/heure")
    after = time.time() * 1000
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert before - 1 <= response.get_json()["now"] <= after + 1
