"""What a one-dataset manual run costs before any data moves, measured in one run.

Each variant runs in its own process, interleaved round by round so that a busy machine
weighs on all of them alike; the medians and ratios are printed, never asserted:

- ``version``: ``patrimoine --version`` (interpreter and the command line's own imports);
- ``no-prefect``: ``patrimoine run --offline --no-prefect --dataset frequentation-musees``;
- ``prefect``: the same run through the Prefect engine and its temporary server, with
  Prefect and the flows imported while the server boots (today's warm-up);
- ``prefect-0.1``: the same, warming only the validation stack during the boot, Prefect and
  the flows imported once the server answered (the warm-up before this change).

Every process gets its own database and portal under a temporary folder and shares one
``var/`` folder (its ``cache/`` and ``prefect/``, the temporary server's home, which the CLI
derives from ``PATRIMOINE_CACHE_DIR``), created by a first untimed run: the server's
migrations, ~10 s, are paid once per machine, not per run.

    .venv/bin/python benchmarks/bench_startup.py [--rounds 5] [--dataset NAME]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

OLD_WARM_UP = """
import sys
import patrimoine.cli.engine as engine

def warm_up(api_url, *, validation=True):
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401

engine._warm_up = warm_up
from patrimoine.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _environment(work: Path, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATRIMOINE_", "PREFECT_"))}
    env.update(
        {
            "PATRIMOINE_DATABASE_URL": f"sqlite:///{work / 'patrimoine.db'}",
            "PATRIMOINE_PORTAL_DIR": str(work / "portal"),
            "PATRIMOINE_CACHE_DIR": str(var / "cache"),
            "PATRIMOINE_PROGRESS": "false",
            "PATRIMOINE_TASK_RETRIES": "0",
        }
    )
    return env


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} a échoué ({done.returncode}) :\n{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dataset", default="frequentation-musees")
    args = parser.parse_args()
    python = sys.executable
    run = ["run", "--offline", "--dataset", args.dataset]
    variants = {
        "version": [python, "-m", "patrimoine.cli", "--version"],
        "no-prefect": [python, "-m", "patrimoine.cli", *run, "--no-prefect"],
        "prefect": [python, "-m", "patrimoine.cli", *run],
        "prefect-0.1": [python, "-c", OLD_WARM_UP, *run],
    }
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        root = Path(tmp)
        var = root / "var"
        env = _environment(root / "warm", var)
        print("premier run (base Prefect, caches) non mesuré…", flush=True)
        _timed(variants["prefect"], env)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for number in range(args.rounds):
            for name, command in variants.items():
                work = root / f"{name}-{number}"
                times[name].append(_timed(command, _environment(work, var)))
            print(f"tour {number + 1}/{args.rounds} fait", flush=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n{args.rounds} tours, médianes (s), un processus par mesure :")
    for name, value in median.items():
        spread = f"{min(times[name]):.2f}–{max(times[name]):.2f}"
        print(f"  {name:<12} {value:6.2f}   ({spread})")
    print(f"  moteur Prefect / sans Prefect : {median['prefect'] / median['no-prefect']:.2f}×")
    print(
        f"  préchauffage actuel / 0.1    : {median['prefect'] / median['prefect-0.1']:.2f}× "
        f"({median['prefect-0.1'] - median['prefect']:+.2f} s gagnées)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
