"""Load harness (bench/load.py): N simulated phones and one screen against the real server, over Socket.IO.

    python bench/load.py --phones 1000 --rate 500 --votes 5000 [--burst] [--search]
    python bench/load.py --url http://127.0.0.1:5000 --email E --password P [--seance ID]
    python bench/load.py --cluster 2 [--database-url postgresql://...] [--redis-url redis://...]

Without --url it starts the app itself on a fresh SQLite database in a
temporary directory (`python -m workshop demo --no-serve`, then
`python -m workshop serve --port P`) and creates a séance in the demo
perimeter. With --cluster N it starts N processes on one PostgreSQL database
(a fresh one by default) and Redis (Flask-SocketIO's message queue, on a
channel of the run's own), spreads the phones over them and puts the screen
on the last one. Then, as a room would:

1. N phones join through the JSON door (`POST /j/<code>/participants`), each
   with a collectivité of the perimeter, and connect over Socket.IO (asyncio
   and aiohttp, one process: a lean client of the same wire protocol by
   default, python-socketio's AsyncClient with --client python-socketio; see
   bench/README.md for why); one screen connects.
2. Recueil: some phones add needs (`add_need`) and declare agents (`declare`).
3. The facilitator (HTTP, CSRF token) switches to the vote phase and reveals
   the tallies, so that the screen's pushed board carries "N gommettes" per need.
4. Votes go out open loop at the offered rate (send times fixed in advance,
   whatever the server answers). Each phone spends its budget of dots one dot
   per need: a vote sets 1 dot on a need (or 0 to take it back), so every
   accepted vote moves one need's tally by exactly one.

Measured per step: acknowledgement latency; vote-to-screen latency, from the
send of a vote to the first screen push whose board shows it (see
bench/README.md for the method); p50/p95/p99/max; accepted votes/s; errors;
votes acknowledged vs stored (`etat.json` totals) vs shown on the screen at
the end; the server's CPU (from /proc/<pid>/stat) and peak RSS (VmHWM).

Steps: the main run (--votes at --rate); --burst: every phone's dots at once
(--votes votes sent at t0) and the drain time; --search: the highest offered
rate at which p95 vote-to-screen stays under --target-ms (bounded steps).
The same load then runs against bench/baseline_server.py (a bare relay, no
database, no rendering) unless --no-baseline, and the ratios are printed.
Results: JSON and a Markdown table under --out (default bench/results/).

The modules, in the order a run uses them: `cli` (the options, `main`),
`processes` (servers and databases started and stopped), `targets` (our app,
alone or as a cluster, and the bare relay: how each is joined, voted on and
observed), `client` (the simulated phones, screen and facilitator's page over
a lean Socket.IO client), `run` (the steps of a run and their figures),
`measures` (percentiles, the screen's counts, CPU, memory, loop lag) and
`report` (the summary against the relay, JSON and Markdown).
"""
