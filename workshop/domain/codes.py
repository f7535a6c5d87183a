"""Join codes and secrets.

A join code is read aloud in a room and typed on a phone: six characters from
an alphabet without look-alikes (no 0/O, 1/I/L, no U/V pair), shown as ABC-DEF.
29**6 (its 29 letters and digits) is about 5.9e8 codes: with join attempts
rate-limited, guessing a live one is out of reach.
"""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 6
_NOT_CODE = re.compile(r"[^0-9A-Z]")


def new_join_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    return f"{code[:3]}-{code[3:]}"


def parse(typed: str) -> str | None:
    """What a person typed ('abc def', 'ABC-DEF') as a stored code, or None."""
    code = _NOT_CODE.sub("", typed.upper())
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def new_secret() -> str:
    return secrets.token_urlsafe(24)


_SECRET = re.compile(r"[A-Za-z0-9_-]{1,64}")


def plausible_secret(token) -> bool:
    """True if `token` could be one of `new_secret()`'s (URL-safe base64, at most 64
    characters): anything else (a NUL, a number, a megabyte) is looked up nowhere."""
    return isinstance(token, str) and _SECRET.fullmatch(token) is not None
