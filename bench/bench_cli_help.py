"""``clearfile --help`` against a bare two-command Typer app's ``--help``, run the same way.

Each is run in a fresh process of this same Python (``python -c``), warm (one untimed run of
each first, so the files are in the page cache), alternately, several times; the median wall
time of each, and their ratio, are printed. The target is a ratio of at most ``TARGET_RATIO``:
the command line should cost little more than Typer itself before it answers ``--help``.

    python -m bench.bench_cli_help [--runs N]
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The most ``clearfile --help`` may take, as a multiple of the bare app's ``--help``.
TARGET_RATIO = 1.3

CLEARFILE = "import sys; sys.argv = ['clearfile', '--help']; from service.cli import main; main()"
BARE = """
import sys
import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command()
def one() -> None:
    "The first command."


@app.command()
def two() -> None:
    "The second command."


sys.argv = ["bare", "--help"]
app()
"""


def run(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each")
    args = parser.parse_args()
    run(CLEARFILE)
    run(BARE)
    clearfile, bare = [], []
    for _ in range(args.runs):
        clearfile.append(run(CLEARFILE))
        bare.append(run(BARE))
    c, b = statistics.median(clearfile), statistics.median(bare)
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, warm, median wall time")
    print(f"clearfile --help          {c * 1000:7.1f} ms")
    print(f"bare two-command --help   {b * 1000:7.1f} ms")
    verdict = "within" if c / b <= TARGET_RATIO else "over"
    print(f"ratio                     {c / b:7.2f}  ({verdict} the target of {TARGET_RATIO})")


if __name__ == "__main__":
    main()
