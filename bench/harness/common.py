"""Shared by the harness: the repository, the clock, the log."""

import os
import re
import socket
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROLES = ("elu", "dgs", "secretaire", "rh", "encadrant", "agent", "autre")
NEED_INFO = re.compile(r'id="need-(\d+)-(?:info|votes)"')
# "1 234 gommettes": the screen writes numbers in its language's way, with a thousands
# separator (a narrow no-break space in French, a comma in English) from 1,000 on.
DOTS = re.compile(r"(\d{1,3}(?:[\u202f\u00a0 ,.]\d{3})+|\d+)\s+gommettes?\b")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DISTURBED = 10  # % of a core used by other processes during a step: its figures are suspect
# The harness joins the whole room from one address (127.0.0.1): the per-address join limit
# of a real venue would stop it at 600 a minute.
JOINS_PER_MINUTE = "1000000"
now = time.perf_counter



def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


