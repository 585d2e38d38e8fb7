"""The dot race of tests/security/test_database_promises.py, 1,000 rounds.

Each round a new participant with a budget of 5 dots gives 50 dots at the same
moment, from 50 threads, each running the real cast_dot operation in its own
app context and unit of work on a file SQLite database (as the server does).
Exactly 5 must be accepted every round, every other one refused with
"budget_exceeded" (never "database is locked" or any other failure), and the
stored dots, the budget counter and the recorded actions must all say 5.

    .venv/bin/python bench/dot_race.py [--rounds 1000] [--threads 50] [--budget 5]

Exits 1 at the first round that breaks a promise, printing it.
"""

import argparse
import collections
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from config import TestingConfig  # noqa: E402
from tests.security.races import DotRace  # noqa: E402
from workshop import create_app  # noqa: E402
from workshop.extensions import db  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--budget", type=int, default=5)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tavoli-dot-race-") as instance:
        app = create_app(TestingConfig, instance_path=instance, PUBLIC_BASE_URL=None)
        with app.app_context():
            flask_migrate.upgrade()
            db.session.remove()
        # The refusals are expected; keep the output to the figures.
        logging.disable(logging.WARNING)
        answers = collections.Counter()
        started = time.monotonic()
        with DotRace(app, threads=options.threads, budget=options.budget) as race:
            for number in range(1, options.rounds + 1):
                result = race.round()
                answers.update(result.answers)
                kept = result.accepted == result.dots == result.dots_used == result.actions == options.budget
                if not kept or result.refusals != {"budget_exceeded"}:
                    print(f"round {number} broke the budget: {result}")
                    return 1
                if number % 100 == 0:
                    print(f"{number} rounds, {time.monotonic() - started:.0f} s", flush=True)
        elapsed = time.monotonic() - started
    print(f"{options.rounds} rounds of {options.threads} parallel dots with a budget of {options.budget}: "
          f"exactly {options.budget} accepted every round; answers {dict(answers)}; "
          f"{elapsed:.0f} s ({elapsed / options.rounds * 1000:.0f} ms a round)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
