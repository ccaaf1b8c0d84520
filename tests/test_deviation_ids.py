"""A deviation id's text is json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False) of its kind, sha, items and window, whatever the window holds: the encoder
made once (deviations._encode) writes what json.dumps writes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.evidence.deviations import canonical

_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)  # control and non-ASCII characters
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | _TEXT
_WINDOWS = st.none() | st.dictionaries(
    _TEXT,
    st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
        max_leaves=6,
    ),
    max_size=5,
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(kind=_TEXT, sha=st.none() | _TEXT, items=st.lists(_TEXT, max_size=3), window=_WINDOWS)
def test_the_canonical_text_is_what_json_dumps_writes(kind, sha, items, window):
    expected = json.dumps(
        {"kind": kind, "sha": sha, "items": items, "window": window},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert canonical(kind, sha, tuple(items), window) == expected
