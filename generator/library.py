"""The control library: ISO catalogs, meshStack controls and applicability decisions, cross-checked.

A controls folder holds ``catalogs/`` (ISO catalogs and the crosswalk), ``meshstack/`` (one file per
meshStack control, named after its id) and ``applicability.yaml`` (a decision for every Annex A and
ISO/IEC 27017 control no meshStack control implements). Every problem of every file is collected
before anything is raised, so a user fixes them all in one go.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from generator.catalog import (
    Catalogs,
    decidable_problem,
    display_path,
    implementable_problem,
    load_catalogs,
)
from generator.errors import InputError, Problem
from generator.resources import data_dir
from generator.validate import load_schema, schema_problems
from generator.yamlio import Document, load_yaml

APPLICABILITY_FILE = "applicability.yaml"


@dataclass(frozen=True)
class Implementation:
    ref: str
    coverage: str  # full | partial
    rationale: str


@dataclass(frozen=True)
class EvidenceSpec:
    kind: str  # an evidence rule kind (generator.evidence.registry)
    params: dict[str, Any]


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    description: str
    owner: str
    responsibility: str  # provider | customer | shared
    implements: tuple[Implementation, ...]
    evidence: tuple[EvidenceSpec, ...]
    path: str  # as shown to users
    # What the evidence shows and what it does not: a verdict is read no wider than this.
    proves: str
    does_not_prove: str
    customer_part: str | None  # the customer's duties (ISO/IEC 27017 CLD.6.3.1); None: provider


@dataclass(frozen=True)
class Decision:
    ref: str
    decision: str  # inherited | excluded
    responsible: str | None  # hosting provider | customer | meshcloud, for inherited only
    justification: str
    path: str
    line: int


@dataclass(frozen=True)
class ControlLibrary:
    catalogs: Catalogs
    controls: dict[str, Control]  # by id, sorted
    decisions: dict[str, Decision]  # by ref, in catalog order

    def implemented_by(self, ref: str) -> tuple[str, ...]:
        """Ids of the meshStack controls implementing a ref, sorted."""
        return tuple(
            c.id for c in self.controls.values() if any(i.ref == ref for i in c.implements)
        )


def shipped_controls_dir() -> Path:
    """The control library installed with meshcomply (the source tree in editable installs)."""
    return data_dir("controls")


def default_controls_dir() -> Path:
    """``./controls`` when the current folder has one, else the shipped library."""
    local = Path("controls")
    return local if local.is_dir() else shipped_controls_dir()


class RuleKind(Protocol):
    """What the library checks evidence items against: a rule kind's params schema.

    The rules themselves live downstream (``generator.evidence.registry.all_rules()`` supplies
    them), so the library takes them as an argument instead of importing the evidence layer.
    """

    @property
    def params_schema(self) -> dict[str, Any]: ...


def load_library(controls_dir: Path, rules: Mapping[str, RuleKind]) -> ControlLibrary:
    """Load and cross-check a controls folder; raise InputError listing every problem found.

    ``rules``: every known evidence rule kind by name; items naming another kind are problems.
    """
    problems: list[Problem] = []
    try:
        catalogs: Catalogs | None = load_catalogs(controls_dir / "catalogs")
    except InputError as exc:
        problems.extend(exc.problems)
        catalogs = None
    controls, implemented, complete = _load_controls(controls_dir, rules, catalogs, problems)
    decisions, decided_ok = _load_decisions(controls_dir, catalogs, implemented, problems)
    # Gaps are only meaningful once every file could be read; otherwise they are noise.
    if catalogs and complete and decided_ok:
        problems.extend(_gaps(controls_dir, catalogs, implemented, decisions))
    if problems:
        raise InputError(problems)
    assert catalogs is not None
    order = {ref: i for i, ref in enumerate(catalogs.entries)}
    return ControlLibrary(
        catalogs=catalogs,
        controls=dict(sorted(controls.items())),
        decisions=dict(sorted(decisions.items(), key=lambda item: order[item[0]])),
    )


def _load_controls(
    controls_dir: Path,
    rules: Mapping[str, RuleKind],
    catalogs: Catalogs | None,
    problems: list[Problem],
) -> tuple[dict[str, Control], dict[str, list[str]], bool]:
    """Controls by id, implementing control ids by ref, and whether every file could be read."""
    folder = controls_dir / "meshstack"
    if not folder.is_dir():
        problems.append(Problem(display_path(folder), 1, 1, "meshStack control folder not found"))
        return {}, {}, False
    schema = _control_schema(rules)
    controls: dict[str, Control] = {}
    implemented: dict[str, list[str]] = {}
    id_files: dict[str, list[tuple[str, Document]]] = {}
    complete = True
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            document = load_yaml(path, display_path(path), recover=True)
        except InputError as exc:
            problems.extend(exc.problems)
            complete = False
            continue
        found = schema_problems(document, schema)
        data = document.data if isinstance(document.data, dict) else {}
        control_id = data.get("id")
        if isinstance(control_id, str):
            id_files.setdefault(control_id, []).append((document.path, document))
            if control_id != path.stem:
                found.append(
                    document.problem(
                        ("id",),
                        f"control id '{control_id}' does not match the file name {path.name}: "
                        f"name the file {control_id}{path.suffix}",
                    )
                )
        found.extend(_evidence_problems(document, data.get("evidence"), rules))
        refs = _implemented_refs(document, data.get("implements"), catalogs, found)
        for ref in refs:
            implemented.setdefault(ref, []).append(
                control_id if isinstance(control_id, str) else path.stem
            )
        problems.extend(found)
        if not found:
            controls[control_id] = _control(document)
    for control_id, files in sorted(id_files.items()):
        if len(files) < 2:
            continue
        for shown, document in files:
            others = ", ".join(other for other, _ in files if other != shown)
            problems.append(
                document.problem(("id",), f"duplicate control id '{control_id}' (also in {others})")
            )
    return controls, implemented, complete


def _implemented_refs(
    document: Document, implements: Any, catalogs: Catalogs | None, found: list[Problem]
) -> list[str]:
    """The well-formed, known refs a control implements; problems for the others."""
    refs: list[str] = []
    if not isinstance(implements, list):
        return refs
    first_line: dict[str, int] = {}
    for i, item in enumerate(implements):
        ref = item.get("ref") if isinstance(item, dict) else None
        if not isinstance(ref, str):
            continue
        where = ("implements", i, "ref")
        if ref in first_line:
            found.append(
                document.problem(
                    where, f"'{ref}' is listed twice (first on line {first_line[ref]})"
                )
            )
            continue
        first_line[ref] = document.where(where)[0]
        if catalogs is None:
            continue
        message = implementable_problem(catalogs, ref)
        if message:
            found.append(document.problem(where, message))
        else:
            refs.append(ref)
    return refs


def _evidence_problems(
    document: Document, evidence: Any, rules: Mapping[str, RuleKind]
) -> list[Problem]:
    if not isinstance(evidence, list):
        return []
    known = ", ".join(rules) or "none registered"
    problems = []
    for i, item in enumerate(evidence):
        kind = item.get("kind") if isinstance(item, dict) else None
        if isinstance(kind, str) and kind not in rules:
            problems.append(
                document.problem(
                    ("evidence", i, "kind"), f"unknown evidence kind '{kind}' (known: {known})"
                )
            )
    return problems


def _control_schema(rules: Mapping[str, RuleKind]) -> dict[str, Any]:
    """The control schema with each evidence item's params checked against its rule's schema."""
    schema = copy.deepcopy(load_schema("control"))
    branches = []
    for kind, rule in sorted(rules.items()):
        params_schema = copy.deepcopy(rule.params_schema)
        # An embedded $id keeps the rule schema's own "#/..." references resolving inside it.
        params_schema.setdefault("$id", f"urn:meshcomply:rule:{kind}")
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"properties": {"params": params_schema}},
            }
        )
    if branches:
        schema["properties"]["evidence"]["items"]["allOf"] = branches
    return schema


def _control(document: Document) -> Control:
    data = document.data
    return Control(
        id=data["id"],
        title=data["title"],
        description=data["description"],
        owner=data["owner"],
        responsibility=data["responsibility"],
        implements=tuple(
            Implementation(i["ref"], i["coverage"], i["rationale"]) for i in data["implements"]
        ),
        evidence=tuple(EvidenceSpec(e["kind"], e["params"]) for e in data["evidence"]),
        path=document.path,
        proves=data["proves"],
        does_not_prove=data["does_not_prove"],
        customer_part=data.get("customer_part"),
    )


def _load_decisions(
    controls_dir: Path,
    catalogs: Catalogs | None,
    implemented: dict[str, list[str]],
    problems: list[Problem],
) -> tuple[dict[str, Decision], bool]:
    """Decisions by ref, and whether the file could be read."""
    path = controls_dir / APPLICABILITY_FILE
    shown = display_path(path)
    if not path.is_file():
        problems.append(
            Problem(
                shown,
                1,
                1,
                "file not found: every Annex A and ISO/IEC 27017 "
                "control no meshStack control implements needs a decision here",
            )
        )
        return {}, True
    try:
        document = load_yaml(path, shown, recover=True)
    except InputError as exc:
        problems.extend(exc.problems)
        return {}, False
    problems.extend(schema_problems(document, load_schema("applicability")))
    decisions: dict[str, Decision] = {}
    items = document.data if isinstance(document.data, list) else []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        problems.extend(_decision_problems(document, i, item, catalogs, implemented, decisions))
        ref = item.get("ref")
        if (
            isinstance(ref, str)
            and catalogs
            and ref not in decisions
            and ref not in implemented
            and not decidable_problem(catalogs, ref)
        ):
            decisions[ref] = Decision(
                ref=ref,
                decision=str(item.get("decision", "")),
                responsible=item.get("responsible"),
                justification=str(item.get("justification", "")),
                path=shown,
                line=document.where((i,))[0],
            )
    return decisions, True


def _decision_problems(
    document: Document,
    i: int,
    item: dict[str, Any],
    catalogs: Catalogs | None,
    implemented: dict[str, list[str]],
    decisions: dict[str, Decision],
) -> list[Problem]:
    problems = []
    decision, responsible = item.get("decision"), item.get("responsible")
    if decision == "inherited" and "responsible" not in item:
        problems.append(
            document.problem(
                (i,),
                "an inherited decision needs 'responsible' "
                "(hosting provider, customer or meshcloud)",
            )
        )
    if decision == "excluded" and responsible is not None:
        problems.append(
            document.problem(
                (i, "responsible"),
                "an excluded control has no one responsible: "
                "remove 'responsible' or decide 'inherited'",
                key=True,
            )
        )
    ref = item.get("ref")
    if not isinstance(ref, str) or catalogs is None:
        return problems
    message = decidable_problem(catalogs, ref)
    if message:
        problems.append(document.problem((i, "ref"), message))
    elif ref in decisions:
        problems.append(
            document.problem(
                (i, "ref"), f"'{ref}' is decided twice (first on line {decisions[ref].line})"
            )
        )
    elif ref in implemented:
        by = ", ".join(sorted(set(implemented[ref])))
        problems.append(
            document.problem(
                (i, "ref"), f"'{ref}' is implemented by {by}, so it must not also be decided here"
            )
        )
    return problems


def _gaps(
    controls_dir: Path,
    catalogs: Catalogs,
    implemented: dict[str, list[str]],
    decisions: dict[str, Decision],
) -> list[Problem]:
    shown = display_path(controls_dir / APPLICABILITY_FILE)
    return [
        Problem(
            shown,
            1,
            1,
            f"'{ref}' ({catalogs.entries[ref].title}) is neither implemented by a meshStack "
            "control nor decided here: implement it or decide 'inherited' or 'excluded'",
        )
        for ref in catalogs.soa_refs()
        if ref not in implemented and ref not in decisions
    ]
