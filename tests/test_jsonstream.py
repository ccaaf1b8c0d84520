"""The streamed evidence.json writer gives exactly the bytes of json.dumps(indent=2)."""

from __future__ import annotations

import json
import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.evidence.codec import dumps, to_plain, write_model
from generator.evidence.jsonstream import iter_json
from generator.status import Status
from generator.testing import synthetic_evidence


def reference(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)  # control and non-ASCII characters
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT
    | st.sampled_from(list(Status))
)
_KEYS = _TEXT | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=5).map(tuple)
        | st.dictionaries(_KEYS, inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=300, derandomize=True, database=None)
@given(_VALUES)
@example({"a": [], "b": {}, "c": [{}], "d": [[]], "e": {"f": []}})
@example([1.0, 1e16, -0.0, math.inf, -math.inf, math.nan, 2**64, True, None])
@example({'ä\u2028\x00\x1f"\\': "ß\U0001f600\x7f", 1: 2, 2.5: 3, False: 4, None: 5})
@example([{"flat": 1, "x": "y"}, [1, [2, {"deep": [3, {}]}]], {"mixed": [1, {"a": None}]}])
def test_stream_equals_the_indenting_encoder(value):
    assert "".join(iter_json(value)) == reference(value)


def test_write_model_writes_the_same_bytes(tmp_path):
    model = synthetic_evidence(changes=40, hostile=True)
    path = tmp_path / "evidence.json"
    write_model(model, path)
    expected = reference(to_plain(model)) + "\n"
    assert path.read_bytes() == expected.encode("utf-8")
    assert dumps(model) == expected
