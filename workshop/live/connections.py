"""Who is behind each socket of this process, and who is connected per séance."""

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    audience: str  # "phone", "screen", "facilitator", "plan" (the facilitator's plan page)
    seance_id: int
    participant_id: int | None = None
    collectivite_id: int | None = None


class Connections:
    def __init__(self) -> None:
        self._by_sid: dict[str, Identity] = {}
        self._phones: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, sid: str, identity: Identity) -> None:
        self._by_sid[sid] = identity
        if identity.participant_id is not None:
            self._phones[identity.seance_id][identity.participant_id] += 1

    def get(self, sid: str) -> Identity | None:
        return self._by_sid.get(sid)

    def drop(self, sid: str) -> Identity | None:
        identity = self._by_sid.pop(sid, None)
        if identity is not None and identity.participant_id is not None:
            tabs = self._phones[identity.seance_id]
            tabs[identity.participant_id] -= 1
            if tabs[identity.participant_id] <= 0:
                del tabs[identity.participant_id]
        return identity

    def connected(self, seance_id: int) -> set[int]:
        """Participants with at least one open socket (in this process)."""
        return set(self._phones.get(seance_id, {}))

    def watching_plan(self, seance_id: int) -> bool:
        return any(i.audience == "plan" and i.seance_id == seance_id
                   for i in self._by_sid.values())

    def online(self, seance_id: int) -> dict[int, int]:
        """Connected participants per collectivité."""
        counts: dict[int, int] = defaultdict(int)
        seen: set[int] = set()
        for identity in self._by_sid.values():
            if identity.seance_id == seance_id and identity.participant_id is not None \
                    and identity.participant_id not in seen:
                seen.add(identity.participant_id)
                counts[identity.collectivite_id] += 1
        return dict(counts)


connections = Connections()
