"""Real Socket.IO clients for the live tests: phones, a screen, and the room around them."""

import re
import time

import socketio

HTML_WAIT = 5  # seconds: generous for a loaded CI machine; the product target is < 1 s


class Phone:
    """A participant's phone: a real python-socketio client holding its token."""

    def __init__(self, server, collectivite_id: int, token: str | None = None,
                 language: str | None = None):
        self.token = token or server.join(collectivite_id)
        self.html: list[str] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("html", self.html.append)
        # The page's language reaches the socket as a browser's would (no language chosen yet).
        headers = {"Accept-Language": language} if language else {}
        self.client.connect(server.url, auth={"token": self.token, "fresh": True},
                            headers=headers, transports=["websocket"], wait_timeout=10)

    def wait_for(self, text: str, timeout: float = HTML_WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for html in reversed(self.html):
                if text in html:
                    return html
            time.sleep(0.02)
        raise AssertionError(f"the phone never got {text!r}; last: {self.html[-1:]}")

    def call(self, event: str, payload) -> dict:
        return self.client.call(event, payload, timeout=10)

    def close(self):
        self.client.disconnect()


class Screen:
    def __init__(self, server, token: str | None = None):
        self.html: list[str] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("html", self.html.append)
        self.client.connect(server.url, auth={"screen": token or server.screen_token},
                            transports=["websocket"], wait_timeout=10)

    def wait_for(self, text: str, timeout: float = HTML_WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for html in reversed(self.html):
                if text in html:
                    return html
            time.sleep(0.02)
        raise AssertionError(f"the screen never showed {text!r}; last: {self.html[-1:]}")


def theme_id(room) -> int:
    page = room.facilitator.http.get(f"{room.server.url}/seances/{room.server.seance_id}/pilotage").text
    return int(re.search(r'<option value="(\d+)">', page.split('id="fac-theme"')[1]).group(1))
