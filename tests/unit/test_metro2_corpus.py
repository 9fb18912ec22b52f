"""Conformance with another project's Metro 2 test files (moov-io/metro2, Apache-2.0), read
by path from ../shared/metro2/corpus (or CLEARFILE_METRO2_CORPUS); never copied here."""

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from service.core.errors import DomainError, PackedMetro2
from service.metro2.codec import read_values, with_rdw, write_values
from service.metro2.fields import BASE, HEADER, SEGMENTS, TRAILER, Layout
from service.metro2.reader import read, read_lone
from service.metro2.validator import check

CORPUS = Path(
    os.environ.get(
        "CLEARFILE_METRO2_CORPUS",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "metro2" / "corpus",
    )
)
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the Metro 2 corpus is not at {CORPUS} (CI has it)"
)

#: Character-format files and their JSON twins.
TWINS = {
    "unpacked_fixed_file.dat": "unpacked_fixed_file.json",
    "unpacked_fixed_request.dat": "unpacked_fixed_file.json",
    "unpacked_variable_file.dat": "unpacked_variable_file.json",
}
#: The corpus's one known quirk: this file's header RDW is 0470 (44 blanks of padding)
#: while its twin says 426.
QUIRKS = {("unpacked_fixed_file.dat", "header", "recordDescriptorWord"): (470, 426)}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00Z"
    return value


def _compare(values: dict[str, Any], twin: dict[str, Any], where: str) -> list[str]:
    """Differences: every twin value must equal ours; every value of ours the twin omits
    must be zero or blank (moov's JSON leaves those out)."""
    diffs = [
        f"{where}.{k}: {_json(values.get(k))!r} != {v!r}"
        for k, v in twin.items()
        if _json(values.get(k)) != v
    ]
    diffs += [
        f"{where}.{k}: {v!r} not in the twin"
        for k, v in values.items()
        if k not in twin and not k.startswith("reserved") and v not in (None, 0, "")
    ]
    return diffs


def _with_bdw(values: dict[str, Any], bdw: str | None) -> dict[str, Any]:
    return {**values, "blockDescriptorWord": int(bdw)} if bdw else values


@pytest.mark.parametrize("name", sorted(TWINS))
def test_parsed_values_equal_the_json_twin(name: str) -> None:
    parsed = read((CORPUS / name).read_bytes())
    twin = json.loads((CORPUS / TWINS[name]).read_text())
    diffs = _compare(
        _with_bdw(read_values(HEADER, parsed.header.text), parsed.header.bdw),
        twin["header"],
        "header",
    )
    diffs += _compare(read_values(TRAILER, parsed.trailer.text), twin["trailer"], "trailer")
    assert len(parsed.bases) == len(twin["data"])
    for base, data in zip(parsed.bases, twin["data"], strict=True):
        diffs += _compare(_with_bdw(read_values(BASE, base.text), base.bdw), data["base"], "base")
        diffs += _compare_segments(base.segments, data)
    known = {
        f"{part}.{field}: {ours!r} != {theirs!r}"
        for (file, part, field), (ours, theirs) in QUIRKS.items()
        if file == name
    }
    assert set(diffs) == known


def _compare_segments(segments: list[Any], data: dict[str, Any]) -> list[str]:
    ours: dict[str, list[dict[str, Any]]] = {}
    for s in segments:
        ours.setdefault(s.layout.name.lower(), []).append(read_values(s.layout, s.text))
    theirs = {k: v if isinstance(v, list) else [v] for k, v in data.items() if k != "base"}
    assert {k: len(v) for k, v in ours.items()} == {k: len(v) for k, v in theirs.items()}
    diffs = []
    for key, values in ours.items():
        for mine, twin in zip(values, theirs[key], strict=True):
            diffs += _compare(mine, twin, key)
    return diffs


def test_the_lone_base_segment_equals_its_twin() -> None:
    record = read_lone((CORPUS / "base_segment.dat").read_bytes(), BASE)
    twin = json.loads((CORPUS / "base_segment.json").read_text())
    diffs = _compare(_with_bdw(read_values(BASE, record.text), record.bdw), twin["base"], "base")
    diffs += _compare_segments(record.segments, twin)
    assert diffs == []


@pytest.mark.parametrize("name", ["j1", "j2", "k1", "k2", "k3", "k4", "l1", "n1"])
def test_lone_segments_equal_the_base_segment_twin(name: str) -> None:
    layout = SEGMENTS[name.upper()]
    record = read_lone((CORPUS / f"{name}_segment.dat").read_bytes(), layout)
    twin = json.loads((CORPUS / "base_segment.json").read_text())[name]
    twin = twin[0] if isinstance(twin, list) else twin
    assert _compare(read_values(layout, record.text), twin, name) == []


def _rewritten(layout: Layout, text: str) -> str:
    return write_values(layout, read_values(layout, text))


@pytest.mark.parametrize("name", sorted(TWINS))
def test_writing_the_parsed_file_back_gives_the_same_records(name: str) -> None:
    parsed = read((CORPUS / name).read_bytes())
    for record in (parsed.header, *parsed.bases, parsed.trailer):
        text = _rewritten(record.layout, record.text)
        text += "".join(_rewritten(s.layout, s.text) for s in record.segments)
        rdw = int(record.text[:4])
        # Blank padding past the RDW (a quirk of the variable file) is kept as blanks.
        written = with_rdw(text, max(rdw, len(text))).ljust(len(record.whole))
        assert written[: len(record.whole)] == record.whole


def test_the_packed_file_is_refused_as_packed() -> None:
    with pytest.raises(PackedMetro2):
        read((CORPUS / "packed_file.dat").read_bytes())


def _negative_inputs() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        p for p in [*(CORPUS / "crashers").iterdir(), *(CORPUS / "fuzz").rglob("*")] if p.is_file()
    )


@pytest.mark.parametrize("path", _negative_inputs(), ids=lambda p: p.name)
def test_broken_inputs_get_a_clear_error_never_an_exception(path: Path) -> None:
    with pytest.raises(DomainError) as raised:
        check(path.read_bytes())
    assert raised.value.status == 422
    assert raised.value.detail
