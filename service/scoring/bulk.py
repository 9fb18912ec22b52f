"""Receipts for many subjects at once: the batch scorer's content of each receipt as JSON text.

A ``Chunk`` is the files of a range of subjects as columns (``engine.columns.FileColumns``)
with each record's receipt form as JSON text. ``score_chunk`` computes every subject's
characteristics with the vectorised engine, scores them, ranks the reasons and applies the
minimum scoring criteria; ``receipt_rows`` gives the rows ``service.store_receipts_in_bulk``
writes. Each receipt holds what one from ``GET /v1/me/score`` would for the same file, day and
model: the JSON is assembled as text from the columns (numbers, null, and strings quoted by
``json.dumps``), never encoded object by object.
"""

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from service.core.security import SequentialIds
from service.scoring.engine.characteristics import CREDIT_MIX_VALUES, NAMES
from service.scoring.engine.columns import (
    INTEGER_VALUED,
    Columns,
    FileColumns,
    Floats,
    Ints,
    Owners,
    characteristic_columns,
    columns_of_files,
    date_block,
)
from service.scoring.engine.explain import check_scores_files, encode_characteristics
from service.scoring.engine.inputs import FileInput
from service.scoring.engine.scorecard import Scorecard
from service.scoring.engine.scorer import engine_for
from service.scoring.receipts import INPUTS_FORMAT, account_json, public_record_json
from service.scoring.rules import (
    INQUIRY_CHARACTERISTIC,
    MAX_KEY_FACTORS,
    NO_ACCOUNT_OLD_ENOUGH,
    NO_RECENT_REPORT,
)


@functools.cache
def _quoted(text: str) -> str:
    """``json.dumps`` of a string, remembered (names, codes and categories: a handful)."""
    return json.dumps(text)


def json_array(values: Sequence[Any]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


@dataclass(frozen=True)
class Chunk:
    """The files of a range of subjects as columns, with each account's and bankruptcy's
    receipt record as JSON text (in the order of the columns' records)."""

    files: FileColumns
    account_inputs: Sequence[str]
    record_inputs: Sequence[str]

    @property
    def n(self) -> int:
        return self.files.n

    def inputs_texts(self) -> list[str]:
        """Every subject's receipt ``inputs`` as JSON text (``receipts.inputs_json``)."""
        files = self.files
        accounts = _joined(files.n, self.account_inputs, files.account_owner)
        kinds = {kind: _quoted(kind) for kind in set(files.inquiry_kind)}
        date_block(files.inquiry_at)  # YYYY-MM-DD: nothing to escape
        inquiries = _joined(
            files.n,
            [
                f'["{at}",{kinds[kind]}]'
                for at, kind in zip(files.inquiry_at, files.inquiry_kind, strict=True)
            ],
            files.inquiry_owner,
        )
        records = _joined(files.n, self.record_inputs, files.record_owner)
        head = f'{{"format":{INPUTS_FORMAT},"accounts":['
        return [
            f'{head}{a}],"inquiries":[{i}],"public_records":[{r}]}}'
            for a, i, r in zip(accounts, inquiries, records, strict=True)
        ]


def _joined(n: int, texts: Sequence[str], owner: Owners) -> list[str]:
    """Per subject, its records' texts joined by commas."""
    counts = np.bincount(owner, minlength=n)
    ends = np.cumsum(counts)
    starts: list[int] = (ends - counts).tolist()
    return [
        ",".join(texts[s:e]) if e > s else "" for s, e in zip(starts, ends.tolist(), strict=True)
    ]


def chunk_of_files(files: Sequence[FileInput]) -> Chunk:
    """The chunk of some ``FileInput``s (tests and tools; the batch reads rows instead)."""
    return Chunk(
        files=columns_of_files(files),
        account_inputs=[json_array(account_json(a)) for f in files for a in f.accounts],
        record_inputs=[json_array(public_record_json(r)) for f in files for r in f.public_records],
    )


#: JSON text of the small whole numbers, looked up rather than formatted one by one.
_SMALL_NUMBERS: Final = np.array([str(i) for i in range(1024)], dtype=object)


def _integer_texts(values: Ints) -> list[str]:
    """JSON text of whole numbers (those from 0 to 1023 from a table)."""
    small = (values >= 0) & (values < len(_SMALL_NUMBERS))
    if small.all():
        texts: list[str] = _SMALL_NUMBERS[values].tolist()
        return texts
    return [str(v) for v in values.tolist()]


def _json_numbers(column: Floats, integer: bool) -> list[str]:
    """JSON text of each value: a whole number, a float as Python writes it, or null."""
    missing = np.isnan(column)
    if integer:
        texts = _integer_texts(np.where(missing, 0, column).astype(np.int64))
    else:
        texts = [repr(v) for v in column.tolist()]
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            texts[i] = "null"
    return texts


def characteristics_texts(columns: Columns) -> list[str]:
    """Per subject, the characteristics as a JSON object (a receipt's ``characteristics``),
    in the order of ``characteristics.NAMES``."""
    template = "{" + ",".join(f"{_quoted(name)}:%s" for name in NAMES) + "}"
    mix = np.array([_quoted(v) for v in CREDIT_MIX_VALUES], dtype=object)
    texts = [
        mix[columns.credit_mix].tolist()
        if name == "credit_mix"
        else _json_numbers(columns.numeric[name], name in INTEGER_VALUED)
        for name in NAMES
    ]
    return [template % row for row in zip(*texts, strict=True)]


@dataclass(frozen=True)
class Scored:
    """Per subject of a chunk: its score (None when too thin) and what its receipt holds,
    each JSON column as JSON text (the shapes of ``receipts.ReceiptContent``)."""

    scores: list[int | None]
    characteristics: list[str]
    factors: list[str]
    reasons: list[str]
    no_score_reasons: list[str]


def _ranked_reasons(model: Scorecard, points: npt.NDArray[np.int32]) -> list[str]:
    """``explain.rank_reasons`` for every row, as JSON text ``[[code, points below max],
    ...]``: points below maximum, largest first, ties in model order; at most 4, and
    inquiries as a 5th when they fell short and are not among them."""
    n, k = points.shape
    if n == 0:
        return []
    maximum = np.array([c.max_points for c in model.characteristics], dtype=np.int64)
    below = maximum[None, :] - points.astype(np.int64)
    order = np.argsort(-below * k + np.arange(k)[None, :], axis=1)
    ranked = np.take_along_axis(below, order, axis=1)
    top = min(MAX_KEY_FACTORS, k)
    # Every reason a characteristic can give, by points below its maximum ("" for none).
    span = int(below.max()) + 1
    text = np.full((k, span), "", dtype=object)
    for j, c in enumerate(model.characteristics):
        code = _quoted(c.reason_code)
        text[j, 1:] = [f"[{code},{b}]" for b in range(1, span)]
    chosen: list[list[str]] = text[order[:, :top], ranked[:, :top]].tolist()
    if INQUIRY_CHARACTERISTIC in model.names:
        j = model.names.index(INQUIRY_CHARACTERISTIC)
        position = (order == j).argmax(axis=1)
        for i in np.flatnonzero((position >= top) & (below[:, j] > 0)).tolist():
            chosen[i].append(text[j, below[i, j]])
    return ["[" + ",".join(filter(None, row)) + "]" for row in chosen]


def score_chunk(chunk: Chunk, today: date, model: Scorecard) -> Scored:
    """Characteristics, scores, factors and reasons of every subject of the chunk."""
    check_scores_files(model)
    columns = characteristic_columns(chunk.files, today)
    points = engine_for(model).points(encode_characteristics(model, columns))
    scores = np.clip(
        points.sum(axis=1, dtype=np.int64), model.score_range.min, model.score_range.max
    )
    thin = columns.no_account_old_enough | columns.no_recent_report

    score_list: list[int | None] = list(scores.tolist())
    point_texts = [_integer_texts(points[:, j].astype(np.int64)) for j in range(points.shape[1])]
    template = "[" + ",".join(["%s"] * points.shape[1]) + "]"
    factors = [template % row for row in zip(*point_texts, strict=True)]
    reasons = _ranked_reasons(model, points)
    no_score = ["[]"] * chunk.n
    why = {
        (True, False): [NO_ACCOUNT_OLD_ENOUGH],
        (False, True): [NO_RECENT_REPORT],
        (True, True): [NO_ACCOUNT_OLD_ENOUGH, NO_RECENT_REPORT],
    }
    texts = {
        key: json.dumps([[r.code, r.text] for r in value], separators=(",", ":"))
        for key, value in why.items()
    }
    old, recent = columns.no_account_old_enough.tolist(), columns.no_recent_report.tolist()
    for i in np.flatnonzero(thin).tolist():
        score_list[i] = None
        factors[i] = "[]"
        reasons[i] = "[]"
        no_score[i] = texts[(old[i], recent[i])]
    return Scored(
        scores=score_list,
        characteristics=characteristics_texts(columns),
        factors=factors,
        reasons=reasons,
        no_score_reasons=no_score,
    )


def receipt_ids(n: int) -> list[str]:
    """``n`` new receipt ids of the form ``security.new_id("rcp")`` gives (``rcp_`` and 20
    hex digits), in ascending order (``security.SequentialIds``: a random part per batch and
    a counter), so that a chunk's receipts go into one place of the primary-key index rather
    than 5,000 random ones: at 1,000,000 receipts the index no longer fits in the database's
    cache, and random inserts read and dirty a page each (issue 15)."""
    return SequentialIds("rcp").take(n)


def receipt_rows(subject_ids: Sequence[str], chunk: Chunk, scored: Scored) -> list[tuple[Any, ...]]:
    """One row of ``queries.BATCH_COLUMNS`` per subject."""
    return list(
        zip(
            receipt_ids(len(subject_ids)),
            subject_ids,
            scored.scores,
            chunk.inputs_texts(),
            scored.characteristics,
            scored.factors,
            scored.reasons,
            scored.no_score_reasons,
            strict=True,
        )
    )
