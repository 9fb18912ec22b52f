"""The bulk writes' JSON encoder (``core.bulk.dumps``) gives the very text ``json.dumps``
gives, which SQLAlchemy's JSON type stores."""

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.core.bulk import dumps

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(value=_json)
def test_the_text_is_json_dumps_text(value: Any) -> None:
    assert dumps(value) == json.dumps(value)


def test_keys_that_are_not_text_are_written_as_json_dumps_writes_them() -> None:
    value = {1: "one", 2.5: None, False: [], None: {"é": "\u2028"}}
    assert dumps(value) == json.dumps(value)


@pytest.mark.parametrize("value", [{"on": date(2026, 12, 1)}, [{1, 2}], {("a",): 1}])
def test_what_json_dumps_refuses_it_refuses(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        dumps(value)
