"""Every benchmark under bench/ imports: a rename in a shared helper cannot leave one broken
until someone next runs it. A benchmark whose third-party tools (the ``bench`` extra: pandas,
optbinning...) are not installed is skipped, never one that lacks a name of our own."""

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
OURS = {"bench", "service", "schemas", "fixtures"}


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__"))
def test_the_benchmark_imports(name: str) -> None:
    try:
        importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OURS:
            raise
        pytest.skip(f"bench.{name} needs {exc.name} (pip install -e '.[bench]')")
