"""The loop watches itself: a greenlet that holds gevent's loop is logged with its stack, and
the longest block is measured (in a fresh interpreter: gevent patches it)."""

import json
import re
import subprocess
import sys

import requests

SCRIPT = """
from gevent import monkey; monkey.patch_all()
import json, logging, sys, time
import gevent
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from workshop import loopwatch
loopwatch.start(max_blocking_s=0.05)
gevent.sleep(0.2)

def holds_the_loop():
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:  # CPU, as a big export in the request would
        pass

gevent.spawn(holds_the_loop).join()
gevent.sleep(0.3)  # the monitor thread reports, the probe wakes up late
print(json.dumps(loopwatch.stats(reset=True)))
print(json.dumps(loopwatch.stats()))
"""


def test_a_greenlet_holding_the_loop_is_logged_with_its_stack_and_measured():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    first, after_reset = (json.loads(line) for line in done.stdout.splitlines()[-2:])
    assert first["longest_block_ms"] >= 250 and first["window_longest_block_ms"] >= 250
    assert first["blocks_logged"] >= 1 and first["late_wakeups"] >= 1
    # It computed: some of that time was the loop thread's CPU (how much depends on the machine's load).
    assert 0 < first["longest_busy_ms"] <= first["longest_block_ms"] + 20
    assert after_reset["window_longest_block_ms"] < 250 <= after_reset["longest_block_ms"]
    assert "the loop was held more than 50 ms" in done.stderr
    assert "holds_the_loop" in done.stderr  # the stack says who


def test_the_server_answers_its_loop_figures_on_the_machine_only(live_server):
    figures = requests.get(f"{live_server.url}/sante/boucle", timeout=10).json()
    assert figures["max_blocking_ms"] == 100 and figures["longest_block_ms"] >= 0
    proxied = requests.get(f"{live_server.url}/sante/boucle", headers={"X-Forwarded-For": "203.0.113.9"},
                           timeout=10)
    assert proxied.status_code == 404


GC_SCRIPT = """
from gevent import monkey; monkey.patch_all()
import gc, json, logging, sys
import gevent
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from workshop import loopwatch
loopwatch.start()
loopwatch.settle_heap()
frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
loopwatch.GC_LOG_MS = 0.0  # log every collection from here on
garbage = []
for _ in range(20000):
    cycle = {}
    cycle["self"] = cycle  # reference cycles: only the collector frees them
    garbage.append(cycle)
del garbage
gc.collect()
gevent.sleep(0.05)  # the probe logs what the collector saw, from the loop
print(json.dumps({"frozen": frozen, "thresholds": thresholds, **loopwatch.stats()}))
"""


def test_the_server_settles_its_heap_and_times_each_collection():
    done = subprocess.run([sys.executable, "-c", GC_SCRIPT], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["frozen"] > 10000  # the modules' objects, out of the collector's walk
    assert tuple(figures["thresholds"]) == (7000, 10, 100)
    assert figures["longest_gc_ms"] > 0 and figures["slow_gcs_logged"] >= 1
    assert re.search(r"a garbage collection \(generation 2, \d+ objects freed\) held the loop",
                     done.stderr)
    assert "Traceback" not in done.stderr
