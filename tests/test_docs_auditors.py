"""docs/auditors.md says what the code does: the status words and every deviation kind."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from generator.evidence.deviations import deviation_id
from generator.evidence.registry import all_rules
from generator.render.words import kind_text
from generator.status import Status

PAGE = Path(__file__).parents[1] / "docs" / "auditors.md"


def table(heading: str) -> list[list[str]]:
    """The rows of the first table below ``heading`` (cells stripped, header row left out)."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    start = section.splitlines().index(lines[0])
    block = []
    for line in section.splitlines()[start:]:
        if not line.startswith("|"):
            break
        block.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return block[2:]


def test_the_status_table_is_the_vocabulary():
    rows = table("## Statuses")
    assert rows == [[f"`{s.value}`", s.label, s.meaning] for s in Status]


def test_the_kinds_table_lists_every_kind_of_every_built_in_rule():
    rows = table("### Deviation kinds")
    documented = {(rule, kind.strip("`")): meaning for kind, _words, rule, meaning in rows}
    declared = {
        (name, kind): meaning
        for name, rule in all_rules().items()
        for kind, meaning in rule.deviation_kinds.items()
    }
    assert documented == declared
    assert len(rows) == len(documented)  # no kind listed twice
    for kind in {kind for _, kind in declared}:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", kind), kind
    # The words the pages show for each kind.
    assert {(kind.strip("`"), words) for kind, words, _r, _m in rows} == {
        (kind, kind_text(kind)) for _, kind in declared
    }


def test_the_id_recipe_gives_the_ids_the_pack_lists():
    text = PAGE.read_text(encoding="utf-8")
    command = re.search(r"```bash\n(printf .*?)\s+#", text, re.S).group(1)
    shown = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    identity = json.loads(re.search(r"printf '%s' '(\{.*?\})'", command).group(1))
    expected = deviation_id(identity["kind"], identity["sha"], identity["items"], None)
    assert f"DEV-{shown.stdout.strip()}" == expected
    assert f"the pack lists {expected}" in text
