"""Load harness: N simulated phones and one screen against the real server, over Socket.IO.

    python bench/load.py --phones 1000 --rate 500 --votes 5000 [--burst] [--search]

The harness is the package bench/harness/ (its docstring says what a run
does; bench/README.md how to read the figures); this file is its command.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.cli import main  # noqa: E402  (the package sits beside this file)

if __name__ == "__main__":
    sys.exit(main())
