"""manifest.json: the SHA-256 of every file of a pack, so anyone can prove nothing changed since.

The manifest lists every regular file below the pack folder except itself and its detached
signature (``manifest.json.sig``, see signing.py, which signs the manifest), sorted by its
POSIX-style path, so the same pack always gives the same manifest bytes. ``verify_pack`` recomputes
it and, given the installation's repository, also checks the commits the pack cites.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.configmodel import without_credentials
from generator.errors import InputError
from generator.evidence.inputs import BUILT_IN, CONTROLS, sha256_file
from generator.evidence.model import DocumentRecord, EvidenceModel
from generator.evidence.streamread import read_stored_model
from generator.history.gitenv import git_command, git_environment
from generator.library import shipped_controls_dir
from generator.signing import SIGNATURE_NAME
from generator.textcheck import escape_controls, json_loads, line_and_column

MANIFEST_NAME = "manifest.json"
EVIDENCE_NAME = "evidence.json"
MANIFEST_SCHEMA_VERSION = 1
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _pack_files(pack_dir: Path) -> list[str]:
    """Every file (and symlink) below the pack except the manifest and its signature, sorted."""
    found = []
    for path in pack_dir.rglob("*"):
        rel = path.relative_to(pack_dir).as_posix()
        if rel not in (MANIFEST_NAME, SIGNATURE_NAME) and (path.is_symlink() or path.is_file()):
            found.append(rel)
    return sorted(found)


def manifest_entries(pack_dir: Path) -> list[dict[str, Any]]:
    entries = []
    for rel in _pack_files(pack_dir):
        path = pack_dir / rel
        if path.is_symlink():
            # A symlink could point outside the pack; listing it would vouch for foreign bytes.
            raise ValueError(f"{path}: a symlink cannot be part of a pack")
        entries.append({"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size})
    return entries


def document_entries(documents: Sequence[DocumentRecord]) -> list[dict[str, Any]]:
    """The evidence documents the verdicts read: where each was read and its bytes' SHA-256."""
    return [
        {
            "path": d.path,
            "source": d.source,
            "commit": d.commit,
            "sha256": d.sha256,
            "bytes": d.bytes,
        }
        for d in documents
    ]


def write_manifest(pack_dir: Path, documents: Sequence[DocumentRecord] = ()) -> Path:
    """Write ``pack_dir/manifest.json`` listing every other file of the pack and, under
    ``documents``, the evidence documents its verdicts read (files outside the pack)."""
    manifest: dict[str, Any] = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "files": manifest_entries(pack_dir),
    }
    if documents:
        manifest["documents"] = document_entries(documents)
    target = pack_dir / MANIFEST_NAME
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    target.write_text(text, encoding="utf-8")
    return target


def _read_manifest(pack_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The manifest's entries by path, or the problems that make it unreadable."""
    path = pack_dir / MANIFEST_NAME
    try:
        data = json_loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, [f"{MANIFEST_NAME}: missing"]
    except json.JSONDecodeError as exc:  # nested too deep included (textcheck.NestingError)
        return {}, [f"{MANIFEST_NAME}:{exc.lineno}:{exc.colno}: unreadable: {exc.msg}"]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return {}, [f"{MANIFEST_NAME}: unreadable: {exc}"]
    if not isinstance(data, dict) or data.get("schema_version") != MANIFEST_SCHEMA_VERSION:
        return {}, [f"{MANIFEST_NAME}: unsupported schema_version (expected 1)"]
    files = data.get("files")
    entries: dict[str, dict[str, Any]] = {}
    problems = []
    if not isinstance(files, list):
        return {}, [f"{MANIFEST_NAME}: 'files' must be a list"]
    for index, entry in enumerate(files):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("path"), str)
            or not isinstance(entry.get("sha256"), str)
        ):
            problems.append(f"{MANIFEST_NAME}: files[{index}] needs a path and a sha256")
            continue
        if entry["path"] in entries:
            problems.append(f"{MANIFEST_NAME}: {_shown(entry['path'])} listed twice")
        entries[entry["path"]] = entry
    return entries, problems


def recorded_sha256(pack_dir: Path, rel: str) -> str | None:
    """The sha256 the manifest records for ``rel`` (None if it records none): what a reader
    of a verified pack compares the bytes it reads with."""
    entry = _read_manifest(pack_dir)[0].get(rel)
    return entry["sha256"] if entry is not None else None


def check_files(pack_dir: Path) -> list[str]:
    """Problems between the manifest and the files: added, removed or changed."""
    recorded, problems = _read_manifest(pack_dir)
    if problems and not recorded:
        return problems
    present = set(_pack_files(pack_dir))
    for rel in sorted(recorded.keys() - present):
        problems.append(f"removed: {_shown(rel)}")
    for rel in sorted(present - recorded.keys()):
        problems.append(f"added: {_shown(rel)}")
    for rel in sorted(present & recorded.keys()):
        path = pack_dir / rel
        if path.is_symlink():
            problems.append(f"changed: {_shown(rel)} (a symlink, not a file)")
            continue
        actual = sha256_file(path)
        if actual != recorded[rel]["sha256"]:
            manifest = _shown(recorded[rel]["sha256"])
            problems.append(f"changed: {_shown(rel)} (sha256 {actual}, manifest {manifest})")
        elif recorded[rel].get("bytes") not in (None, path.stat().st_size):
            problems.append(f"changed: {_shown(rel)} (size differs from manifest)")
    return problems


def _shown(name: str) -> str:
    # Names come from the manifest or the folder: a control character in one must not act on
    # the terminal verify prints to (ESC sequences, a carriage return rewriting the line).
    return escape_controls(name, one_line=True)


def cited_commits(model: EvidenceModel) -> list[str]:
    """Every commit the model cites as evidence, sorted and unique."""
    shas: set[str] = {model.source.head}
    shas.update(change.sha for change in model.changes)
    for group in model.reconciliation.groups:
        shas.update(group.shas)
    shas.update(release.sha for release in model.releases)
    for promotion in model.promotions:
        for event in (promotion.staging, promotion.production):
            if event is not None:
                shas.add(event.sha)
    for control in model.controls:
        for result in control.results:
            shas.update(result.cited)
            shas.update(f.sha for f in result.failures if f.sha)
    for exception in model.exceptions:  # what each accepted are deviations, cited above
        if exception.sha:
            shas.add(exception.sha)
    for population in model.sample.populations:
        shas.update(population.shas)
    return sorted(shas)


def _git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    # As the build read the repository: its real object graph, whatever the caller's settings.
    return subprocess.run(
        git_command("-C", str(repo), *args),
        env=git_environment(),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def missing_commits(repo: Path, shas: list[str]) -> list[str]:
    """The shas that are not commits of ``repo``, asked in one ``git cat-file`` process."""
    if not shas:
        return []
    result = _git(repo, "cat-file", "--batch-check", stdin="".join(f"{s}\n" for s in shas))
    if result.returncode != 0:
        raise OSError(result.stderr.strip() or f"git cat-file failed in {repo}")
    answers = result.stdout.splitlines()
    missing = []
    for sha, answer in zip(shas, answers, strict=True):
        # "<sha> commit <size>" when present, "<sha> missing" (or another type) otherwise.
        parts = answer.split()
        if len(parts) < 2 or parts[1] != "commit":
            missing.append(sha)
    return missing


def _resolve_ref(repo: Path, ref: str) -> str | None:
    """The commit ``ref`` names, also as a remote-tracking branch (a fresh clone of the config)."""
    for name in (ref, f"origin/{ref}"):
        spec = f"{name}^{{commit}}"
        tip = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", spec)
        if tip.returncode == 0:
            return tip.stdout.strip()
    return None


def check_repo(model: EvidenceModel, repo: Path) -> list[str]:
    """Cited commits missing from ``repo`` and a recorded head no longer on the recorded ref."""
    probe = _git(repo, "rev-parse", "--git-dir")
    if probe.returncode != 0:
        return [f"--repo {repo}: not a git repository"]
    cited = cited_commits(model)
    problems = [
        f"evidence.json: cited commit id is not a sha: {s!r}"
        for s in cited
        if not _SHA.fullmatch(s)
    ]
    try:
        missing = missing_commits(repo, [s for s in cited if _SHA.fullmatch(s)])
    except OSError as exc:
        return [*problems, f"--repo {repo}: {exc}"]
    problems += [f"missing commit: {sha}" for sha in missing]
    head, ref = model.source.head, model.source.ref
    if f"missing commit: {head}" not in problems:
        tip = _resolve_ref(repo, ref)
        if tip is None:
            problems.append(f"ref {ref} not found in {repo}")
        elif _git(repo, "merge-base", "--is-ancestor", head, tip).returncode != 0:
            problems.append(
                f"history rewritten: recorded head {head} is no longer in the history of {ref}"
            )
    return problems


def check_documents(model: EvidenceModel, repo: Path) -> list[str]:
    """Repository documents whose bytes at the recorded commit no longer have the recorded
    SHA-256 (the same bytes ``git show <commit>:<path> | sha256sum`` hashes)."""
    problems = []
    for document in model.documents:
        if document.commit is None or not _SHA.fullmatch(document.commit):
            continue  # the evidence folder is not part of the repository
        shown = subprocess.run(
            git_command("-C", str(repo), "cat-file", "blob", f"{document.commit}:{document.path}"),
            env=git_environment(),
            capture_output=True,
            check=False,
        )
        where = f"{document.path} at {document.commit[:12]}"
        if shown.returncode != 0:
            problems.append(f"missing document: {where}")
            continue
        actual = hashlib.sha256(shown.stdout).hexdigest()
        if actual != document.sha256:
            problems.append(
                f"changed document: {where} (sha256 {actual}, evidence.json {document.sha256})"
            )
    return problems


def verify_pack(pack_dir: Path, repo: Path | None = None) -> list[str]:
    """Every problem with the pack: files against the manifest, evidence.json read as every
    reader reads it and, with ``repo``, its commits."""
    return verify(pack_dir, repo).problems


@dataclass(frozen=True)
class Verification:
    """What ``meshcomply verify`` found: every problem, and each input compared (ok or not)."""

    problems: list[str]
    inputs: list[InputCheck]
    # What is no problem of the pack's integrity but stops it elsewhere (a recorded credential).
    warnings: list[str] = field(default_factory=list)


def verify(
    pack_dir: Path,
    repo: Path | None = None,
    inputs: Path | None = None,
    controls: Path | None = None,
) -> Verification:
    """The pack's files against its manifest; evidence.json read once, as the site step reads
    it (its long lists left in the file, so memory does not grow with the history), checked
    against its schema and for text no UTF-8 can hold; then, with ``repo``, its commits and
    documents, with ``inputs``, each recorded input (``check_inputs``)."""
    problems = check_files(pack_dir)
    # The bytes read must be the ones just verified, when they were: the file may change.
    verified = recorded_sha256(pack_dir, EVIDENCE_NAME) if not problems else None
    try:
        model = read_stored_model(pack_dir / EVIDENCE_NAME, verified)
    except InputError as exc:
        problems += pack_file_problems(exc, EVIDENCE_NAME)
        problems += [
            f"{EVIDENCE_NAME}: unreadable, cannot check {what}"
            for what, asked in (("commits", repo), ("inputs", inputs))
            if asked is not None
        ]
        return Verification(problems, [])
    if repo is not None:
        problems += check_repo(model, repo) + check_documents(model, repo)
    checks = check_inputs(model, inputs, controls) if inputs is not None else []
    problems += [check.line for check in checks if check.result != "ok"]
    credentials = recorded_credentials(pack_dir, model)
    warnings = [] if credentials is None else [
        f"{credentials}: meshcomply site refuses this pack, since the portal would publish "
        "them; rebuild it with this meshcomply, which records the URL without them, and revoke "
        "the token"
    ]  # fmt: skip
    return Verification(problems, checks, warnings)


# How far into evidence.json the recorded repository URL is looked for (source comes first).
_HEAD_BYTES = 1 << 16


def recorded_credentials(pack_dir: Path, model: EvidenceModel) -> str | None:
    """``evidence.json:LINE:COL: source.repo records the repository URL with credentials (...)``
    when the pack records its repository URL with a user name or token (an older meshcomply kept
    them; the URL is shown without them), else None."""
    repo = model.source.repo
    shown = without_credentials(repo)
    if shown == repo:
        return None
    path = pack_dir / EVIDENCE_NAME
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES).decode("utf-8", "replace")
    place = path.name
    for written in (json.dumps(repo, ensure_ascii=False), json.dumps(repo)):
        at = head.find(written)
        if at != -1:
            line, column = line_and_column(head, at)
            place = f"{path.name}:{line}:{column}"
            break
    return (
        f"{place}: source.repo records the repository URL with credentials "
        f"({escape_controls(shown, one_line=True)} with a user name or token before the host)"
    )


def pack_file_problems(error: InputError, name: str) -> list[str]:
    """A pack file's problems as lines naming the file (``evidence.json:LINE:COL: ...``; the
    place is left out where it is the file's start, which says nothing: a schema problem's
    JSON path is in its message)."""
    return [
        f"{name}:{p.line}:{p.col}: {p.message}"
        if (p.line, p.col) != (1, 1)
        else f"{name}: {p.message}"
        for p in error.problems
    ]


@dataclass(frozen=True)
class InputCheck:
    """One recorded input compared with the file given: ``ok``, ``changed`` or ``missing``."""

    kind: str
    path: str
    result: str
    detail: str = ""

    @property
    def line(self) -> str:
        shown = f"input {self.path} ({self.kind}): {self.result}"
        return f"{shown} ({self.detail})" if self.detail else shown


def check_inputs(
    model: EvidenceModel, inputs_dir: Path, controls_dir: Path | None = None
) -> list[InputCheck]:
    """Every input evidence.json records, compared with the files below ``inputs_dir``.

    Paths are relative to ``inputs_dir`` (the folder of meshcomply.yml), the control library's
    to ``controls_dir``: by default the recorded library folder below ``inputs_dir``, or the
    library shipped with this meshcomply when the pack was built with the shipped one.
    """
    library = model.inputs.library
    if controls_dir is None:
        controls_dir = shipped_controls_dir() if library == BUILT_IN else inputs_dir / library
    checks = []
    for entry in model.inputs.files:
        path = (controls_dir if entry.kind == CONTROLS else inputs_dir) / entry.path
        if not path.is_file():
            checks.append(InputCheck(entry.kind, entry.path, "missing", f"no file {path}"))
            continue
        actual = sha256_file(path)
        if actual != entry.sha256:
            detail = f"sha256 {actual}, recorded {entry.sha256}"
            checks.append(InputCheck(entry.kind, entry.path, "changed", detail))
        else:
            checks.append(InputCheck(entry.kind, entry.path, "ok"))
    return checks
