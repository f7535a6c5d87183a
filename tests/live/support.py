"""Real Socket.IO clients for the live tests: phones, a screen, and the room around them."""

import re
import time

import socketio

HTML_WAIT = 5  # seconds: generous for a loaded CI machine; the product target is < 1 s


class Listener:
    """A real python-socketio client that keeps every `html` push it receives."""

    who = "the client"

    def __init__(self, url: str, auth: dict, headers: dict | None = None):
        self.html: list[str] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("html", self.html.append)
        self.client.connect(url, auth=auth, headers=headers or {}, transports=["websocket"],
                            wait_timeout=10)

    def wait_for(self, text: str, timeout: float = HTML_WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for html in reversed(self.html):
                if text in html:
                    return html
            time.sleep(0.02)
        raise AssertionError(f"{self.who} never showed {text!r}; last: {self.html[-1:]}")

    def close(self):
        self.client.disconnect()


class Phone(Listener):
    """A participant's phone, holding its token."""

    who = "the phone"

    def __init__(self, server, collectivite_id: int, token: str | None = None,
                 language: str | None = None):
        self.token = token or server.join(collectivite_id)
        # The page's language reaches the socket as a browser's would (no language chosen yet).
        super().__init__(server.url, {"token": self.token, "fresh": True},
                         {"Accept-Language": language} if language else None)

    def call(self, event: str, payload) -> dict:
        return self.client.call(event, payload, timeout=10)


class Screen(Listener):
    who = "the screen"

    def __init__(self, server, token: str | None = None):
        super().__init__(server.url, {"screen": token or server.screen_token})


def theme_id(room) -> int:
    page = room.facilitator.http.get(f"{room.server.url}/seances/{room.server.seance_id}/pilotage").text
    return int(re.search(r'<option value="(\d+)">', page.split('id="fac-theme"')[1]).group(1))
