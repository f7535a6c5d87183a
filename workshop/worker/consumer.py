"""`workshop worker`: huey's consumer for the app's queue, as its own process.

`workshop serve` starts one as its child (the embedded mode, one command);
in the cluster it runs as its own service (docs/deploy.md) and the servers
are told so with WORKSHOP_WORKER=external. A child started with --parent
stops when its server is gone, even after a SIGKILL of the server.
"""

import argparse
import logging
import os
import sys
import threading
import time

# Huey looks for work this often at most when idle on SQLite (Redis blocks on the list instead).
MAX_POLL_S = 0.5


def _follow_parent(parent: int) -> None:
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            logging.getLogger(__name__).warning("server %s gone: the worker stops", parent)
            os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="workshop worker")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKSHOP_JOB_WORKERS", "2")))
    parser.add_argument("--parent", type=int, default=None)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its every step at INFO
    if args.parent:
        threading.Thread(target=_follow_parent, args=(args.parent,), daemon=True).start()
    # On a shared machine the serving loop comes first: the scheduler gives the worker what is left.
    os.nice(int(os.environ.get("WORKSHOP_WORKER_NICE", "10")))

    from workshop import create_app
    from workshop.worker import queue

    app = create_app()
    with app.app_context():
        huey = queue().huey
    if args.parent:  # the embedded mode's only worker: what was running when it stopped is lost
        from workshop.worker import tasks

        tasks.fail_interrupted(app)
    jobs = "tâche" if args.workers <= 1 else "tâches"
    print(f"workshop worker: {args.workers} {jobs} à la fois, file {huey.name}", flush=True)
    # Threads: a job mostly waits on the database or on WeasyPrint, and threads share the app.
    consumer = huey.create_consumer(workers=args.workers, worker_type="thread", periodic=False,
                                    initial_delay=0.05, backoff=1.5, max_delay=MAX_POLL_S)
    consumer.run()
