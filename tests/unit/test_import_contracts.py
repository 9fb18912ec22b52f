"""The import contracts (pyproject.toml, checked by `lint-imports`) name every domain
package: a package added under service/ without joining them would go unchecked."""

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _service_packages() -> set[str]:
    return {
        f"service.{p.parent.name}"
        for p in (ROOT / "service").glob("*/__init__.py")
        if p.parent.name != "core"
    }


def test_core_may_import_no_other_service_package() -> None:
    forbidden = set(_contracts()["core-imports-no-domain"]["forbidden_modules"])
    assert _service_packages() <= forbidden
    assert {"service.app", "service.cli", "fixtures"} <= forbidden


def test_no_domain_may_import_the_entry_points() -> None:
    sources = set(_contracts()["entry-points-imported-by-none"]["source_modules"])
    assert _service_packages() <= sources


def test_every_domains_queries_are_its_own() -> None:
    contracts = _contracts()
    for queries in (ROOT / "service").glob("*/queries.py"):
        domain = f"service.{queries.parent.name}"
        contract = contracts[f"queries-owned-{queries.parent.name}"]
        assert contract["protected_modules"] == [f"{domain}.queries"]
        assert contract["allowed_importers"] == [domain]
