"""Offline work writes through the domains: no module of service/jobs or service/modelling
imports a domain's ORM models or queries, or builds an INSERT of its own."""

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "service"
DOMAINS = {"principals", "furnishing", "file", "access", "audit", "sandbox", "scoring"}
OFFLINE = sorted(
    path for folder in ("jobs", "modelling") for path in (SERVICE / folder).glob("*.py")
)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def owned_writes(names: set[str]) -> list[str]:
    found = []
    for name in sorted(names):
        parts = name.split(".")
        if parts[:1] == ["service"] and len(parts) > 2 and parts[1] in DOMAINS:
            if parts[2] in {"models", "queries"}:
                found.append(name)
        if name in {"sqlalchemy.insert", "sqlalchemy.sql.insert"}:
            found.append(name)
    return found


def test_the_check_finds_a_direct_write() -> None:
    names = {"service.furnishing.models.Account", "sqlalchemy.insert", "service.file.service"}
    assert owned_writes(names) == ["service.furnishing.models.Account", "sqlalchemy.insert"]


@pytest.mark.parametrize("path", OFFLINE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_offline_modules_write_only_through_domain_services(path: Path) -> None:
    assert owned_writes(imported(path)) == []
