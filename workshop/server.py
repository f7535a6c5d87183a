"""The production-grade server: gevent's WSGI server with WebSocket support.

Started by `workshop serve` in a fresh interpreter that has already run
gevent's monkey patching (see cli._exec_server).
"""

import argparse
import logging
import signal
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="workshop serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])

    from workshop import create_app, loopwatch
    from workshop.extensions import socketio

    app = create_app({"ASYNC_MODE": "gevent"})
    from workshop.services import lifecycle

    # Held until this process ends: `workshop restore` refuses while a server uses the base.
    lock = lifecycle.hold_serving_lock(app.extensions["workshop.engine"])  # noqa: F841
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    loopwatch.init_app(app)
    from workshop import worker as jobs_queue

    jobs_queue.warm(app)  # its storage opened now, not by the first export someone asks for
    worker = _start_worker() if app.config.get("WORKER", "child") == "child" else None
    _compile_templates(app)
    loopwatch.settle_heap()
    # Watched from here: what the loop does for the room (the start's collection and
    # compilations above hold it before anyone is served, and are not a room's stall).
    loopwatch.start()
    # A clean exit on SIGTERM (systemd, a test): stop accepting, close the sockets, return.
    import gevent

    gevent.signal_handler(signal.SIGTERM, socketio.stop)
    gevent.signal_handler(signal.SIGINT, socketio.stop)
    print(f"workshop: écoute sur http://{args.host}:{args.port}", flush=True)
    try:
        socketio.run(app, host=args.host, port=args.port, log_output=False)
    finally:
        if worker is not None:
            _stop_worker(worker)
        logging.getLogger(__name__).info("longest loop block: %s ms", loopwatch.stats()["longest_block_ms"])


def _compile_templates(app) -> None:
    """Every page and fragment compiled before the first request (some 300 ms in all): else
    the first phones after a start each wait for a template's compilation (5-50 ms of the
    loop each), and the heap settled next keeps them out of the collector's walks."""
    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        env.get_template(name)


def _start_worker():
    """The embedded mode's job worker, as a child process (`workshop worker`)."""
    import os
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "workshop", "worker", "--parent", str(os.getpid())])


def _stop_worker(worker) -> None:
    import subprocess

    worker.terminate()  # huey's consumer stops at once on SIGTERM (a job in hand is dropped)
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
