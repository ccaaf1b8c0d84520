"""Text no UTF-8 can hold (an escaped lone surrogate) is refused where it is read."""

from __future__ import annotations

import pytest

from generator.errors import InputError
from generator.textcheck import lone_surrogate_escape
from generator.yamlio import load_yaml_text


def test_yaml_escapes_of_half_a_character_are_located_problems():
    with pytest.raises(InputError) as caught:
        load_yaml_text('a: "x\\ud800"\nb: fine\n"k\\udc00": 1\n', "f.yml")
    assert [(p.line, p.col) for p in caught.value.problems] == [(1, 4), (3, 1)]
    assert "lone surrogate" in caught.value.problems[0].message
    assert load_yaml_text('a: "\\U0001F600"\n', "g.yml").data == {"a": "😀"}
    assert lone_surrogate_escape(r'{"a": "\ud83d\ude00", "b": "\\ud800"}') is None
    assert lone_surrogate_escape(r'{"a": "\ud83d\u0041"}') == 7
    assert lone_surrogate_escape(r'{"a": "\ude00"}') == 7
