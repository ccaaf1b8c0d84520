"""The ISO catalogs and the 2013 -> 2022 crosswalk, loaded and validated into plain data.

Every reference is fully qualified (``iso27001:2022/A.8.32``) so that identifiers of different
standards, which overlap (``A.5.1`` exists in 2013 and 2022), can never be confused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import InputError, Problem
from generator.validate import load_schema, schema_problems
from generator.yamlio import Document, load_yaml

ISO27001_2022 = "iso27001:2022"
ISO27017_2015 = "iso27017:2015"
ISO27001_2013 = "iso27001:2013"
# The Statement of Applicability decides every Annex A control of 27001:2022 and every 27017
# cloud control; clauses are mandatory for any ISMS and are not decided.
SOA_STANDARDS = (ISO27001_2022, ISO27017_2015)
SOA_KINDS = ("annex-a", "cloud")
REQUIRED_STANDARDS = (ISO27001_2022, ISO27017_2015)


@dataclass(frozen=True)
class CatalogEntry:
    ref: str
    standard: str
    id: str
    kind: str  # clause | annex-a | cloud
    title: str
    theme: str | None = None  # 27001:2022 Annex A
    objective: str | None = None  # 27017 cloud controls
    domain: str | None = None  # 27001:2013 Annex A


@dataclass(frozen=True)
class Catalogs:
    entries: dict[str, CatalogEntry]  # by ref, in catalog order
    titles: dict[str, str] = field(default_factory=dict)  # standard -> its name
    to_2013: dict[str, tuple[str, ...]] = field(default_factory=dict)
    to_2022: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def soa_refs(self) -> tuple[str, ...]:
        """The refs the Statement of Applicability decides, in catalog order."""
        return tuple(
            ref
            for ref, entry in self.entries.items()
            if entry.standard in SOA_STANDARDS and entry.kind in SOA_KINDS
        )

    def crosswalk_2013_for(self, ref_2022: str) -> tuple[str, ...]:
        """The ISO/IEC 27001:2013 controls that correspond to a 2022 control."""
        return self.to_2013.get(ref_2022, ())

    def crosswalk_2022_for(self, ref_2013: str) -> tuple[str, ...]:
        """The ISO/IEC 27001:2022 controls a 2013 control became."""
        return self.to_2022.get(ref_2013, ())

    def standards(self) -> tuple[str, ...]:
        return tuple(sorted(self.titles))


def qualify(standard: str, entry_id: str) -> str:
    return f"{standard}/{entry_id}"


def display_path(path: Path) -> str:
    """A path as users see it in messages: relative to the current folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_catalogs(catalogs_dir: Path) -> Catalogs:
    """Load every catalog and crosswalk in a folder; raise InputError with every problem found.

    ``crosswalk-*.yaml`` files are crosswalks; every other ``*.yaml`` file is a catalog.
    """
    problems: list[Problem] = []
    shown_dir = display_path(catalogs_dir)
    if not catalogs_dir.is_dir():
        raise InputError([Problem(shown_dir, 1, 1, "catalog folder not found")])
    files = sorted(catalogs_dir.glob("*.yaml"))
    catalog_docs, crosswalk_docs = [], []
    for path in files:
        kind = "crosswalk" if path.name.startswith("crosswalk-") else "catalog"
        document = _load(path, kind, problems)
        if document is not None:
            (crosswalk_docs if kind == "crosswalk" else catalog_docs).append(document)

    entries: dict[str, CatalogEntry] = {}
    titles: dict[str, str] = {}
    for document in catalog_docs:
        _add_catalog(document, entries, titles, problems)
    for standard in REQUIRED_STANDARDS:
        if standard not in titles and not problems:
            problems.append(Problem(shown_dir, 1, 1, f"no catalog for {standard} in this folder"))

    to_2013: dict[str, list[str]] = {}
    to_2022: dict[str, list[str]] = {}
    for document in crosswalk_docs:
        _add_crosswalk(document, entries, titles, to_2013, to_2022, problems)
    if problems:
        raise InputError(problems)
    order = {ref: i for i, ref in enumerate(entries)}
    return Catalogs(
        entries=entries,
        titles=titles,
        to_2013={k: tuple(sorted(set(v), key=order.__getitem__)) for k, v in to_2013.items()},
        to_2022={k: tuple(sorted(set(v), key=order.__getitem__)) for k, v in to_2022.items()},
    )


def _load(path: Path, kind: str, problems: list[Problem]) -> Document | None:
    try:
        document = load_yaml(path, display_path(path), recover=True)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    found = schema_problems(document, load_schema(kind))
    problems.extend(found)
    return None if found else document


def _add_catalog(
    document: Document,
    entries: dict[str, CatalogEntry],
    titles: dict[str, str],
    problems: list[Problem],
) -> None:
    standard = document.data["standard"]
    if standard in titles:
        problems.append(
            document.problem(("standard",), f"a second catalog for {standard} in this folder")
        )
        return
    titles[standard] = document.data["title"]
    seen: dict[str, int] = {}
    for i, raw in enumerate(document.data["entries"]):
        ref = qualify(standard, raw["id"])
        line = document.where(("entries", i, "id"))[0]
        if ref in seen:
            problems.append(
                document.problem(
                    ("entries", i, "id"), f"duplicate id '{raw['id']}' (first on line {seen[ref]})"
                )
            )
            continue
        seen[ref] = line
        entries[ref] = CatalogEntry(
            ref=ref,
            standard=standard,
            id=raw["id"],
            kind=raw["kind"],
            title=raw["title"],
            theme=raw.get("theme"),
            objective=raw.get("objective"),
            domain=raw.get("domain"),
        )


def _add_crosswalk(
    document: Document,
    entries: dict[str, CatalogEntry],
    titles: dict[str, str],
    to_2013: dict[str, list[str]],
    to_2022: dict[str, list[str]],
    problems: list[Problem],
) -> None:
    data = document.data
    if (data["from"], data["to"]) != (ISO27001_2013, ISO27001_2022):
        problems.append(
            document.problem(
                ("from",),
                f"only the {ISO27001_2013} -> {ISO27001_2022} crosswalk is supported, "
                f"not {data['from']} -> {data['to']}",
            )
        )
        return
    for standard in (ISO27001_2013, ISO27001_2022):
        if standard not in titles:
            problems.append(document.problem((), f"the crosswalk needs the {standard} catalog"))
            return
    for i, mapping in enumerate(data["mappings"]):
        old = qualify(ISO27001_2013, mapping["from"])
        if old not in entries:
            problems.append(
                document.problem(
                    ("mappings", i, "from"), f"'{mapping['from']}' is not in {ISO27001_2013}"
                )
            )
        for j, new_id in enumerate(mapping["to"]):
            new = qualify(ISO27001_2022, new_id)
            if new not in entries:
                problems.append(
                    document.problem(
                        ("mappings", i, "to", j), f"'{new_id}' is not in {ISO27001_2022}"
                    )
                )
                continue
            if old in entries:
                to_2022.setdefault(old, []).append(new)
                to_2013.setdefault(new, []).append(old)


def implementable_problem(catalogs: Catalogs, ref: str) -> str | None:
    """Why a meshStack control cannot implement ref, or None if it can.

    Controls map to ISO/IEC 27001:2022 (clauses and Annex A) and ISO/IEC 27017; a 2013 control is
    pointed at its 2022 equivalent so the library has one numbering.
    """
    message = _unknown(catalogs, ref)
    if message:
        return message
    entry = catalogs.entries[ref]
    if entry.standard not in SOA_STANDARDS:
        return _older_standard(catalogs, entry, "map to")
    return None


def decidable_problem(catalogs: Catalogs, ref: str) -> str | None:
    """Why ref cannot have an applicability decision, or None if it can."""
    message = _unknown(catalogs, ref)
    if message:
        return message
    entry = catalogs.entries[ref]
    if entry.standard not in SOA_STANDARDS:
        return _older_standard(catalogs, entry, "decide")
    if entry.kind not in SOA_KINDS:
        return (
            f"'{ref}' is a clause of {catalogs.titles[entry.standard]}, not an Annex A or "
            "ISO/IEC 27017 control: clauses are not decided in the Statement of Applicability"
        )
    return None


def _unknown(catalogs: Catalogs, ref: str) -> str | None:
    if ref in catalogs.entries:
        return None
    standard, slash, entry_id = ref.partition("/")
    if not slash:
        return _unqualified(catalogs, ref)
    if standard not in catalogs.titles:
        known = ", ".join(catalogs.standards())
        return f"unknown reference '{ref}': no catalog for '{standard}' (known: {known})"
    return (
        f"unknown reference '{ref}': '{entry_id}' is not in the {catalogs.titles[standard]} catalog"
    )


def _unqualified(catalogs: Catalogs, ref: str) -> str:
    for standard in SOA_STANDARDS:
        if qualify(standard, ref) in catalogs.entries:
            return f"'{ref}' is not fully qualified: write '{qualify(standard, ref)}'"
    return (
        f"'{ref}' is not fully qualified: write <standard>/<id>, e.g. "
        f"'{ISO27001_2022}/A.8.32' or '{ISO27017_2015}/CLD.12.4.5'"
    )


def _older_standard(catalogs: Catalogs, entry: CatalogEntry, verb: str) -> str:
    newer = catalogs.crosswalk_2022_for(entry.ref)
    hint = f" ({', '.join(newer)})" if newer else ""
    return (
        f"'{entry.ref}' is a control of {catalogs.titles[entry.standard]}: {verb} its "
        f"{catalogs.titles.get(ISO27001_2022, ISO27001_2022)} equivalent instead{hint}"
    )
