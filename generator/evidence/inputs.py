"""The inputs a pack's verdicts came from, each with its SHA-256 (evidence.json's ``inputs``).

Besides the repository (cited by commit), a pack depends on files: the control library,
meshcomply.yml, the exceptions register, the keys signatures were verified with, and the
evidence documents kept outside the repository. Each is recorded with its SHA-256 and size, so
``meshcomply verify PACKDIR --inputs DIR`` can tell whether the files an auditor is given are
the ones the pack was built from. Paths are relative to the folder of meshcomply.yml, the
library's files relative to the library folder, which is recorded as ``built-in`` when it is the
library shipped with meshcomply.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from generator.config import Config, InstallationConfig
from generator.evidence.model import InputFile, InputsRecord
from generator.library import shipped_controls_dir

BUILT_IN = "built-in"
CONTROLS = "controls"  # the kind of a control library file: relative to the library folder
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def input_file(kind: str, path: Path, base: Path) -> InputFile:
    relative = Path(os.path.relpath(path.absolute(), base.absolute())).as_posix()
    return InputFile(kind, relative, sha256_file(path), path.stat().st_size)


def _library_files(folder: Path) -> Iterator[Path]:
    """Every YAML file of a control library (catalogs, controls, applicability decisions)."""
    found = [p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    yield from sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _files_below(folder: Path) -> Iterator[Path]:
    found = [p for p in folder.rglob("*") if p.is_file()]
    yield from sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def library_name(library_dir: Path, config_dir: Path) -> str:
    if library_dir.resolve() == shipped_controls_dir().resolve():
        return BUILT_IN
    return Path(os.path.relpath(library_dir.absolute(), config_dir.absolute())).as_posix()


def recorded_inputs(
    config: Config,
    installation: InstallationConfig,
    library_dir: Path,
    extra: Iterable[tuple[str, Path]] = (),
) -> InputsRecord:
    """The inputs of one installation's pack, in a stable order (kind, then path).

    ``extra``: further (kind, file) inputs, e.g. the findings register.
    """
    base = config.path.parent
    files = [input_file("config", config.path, base)]
    if installation.exceptions is not None:
        files.append(input_file("exceptions", installation.exceptions, base))
    for kind, path in extra:
        files.append(input_file(kind, path, base))
    signing = installation.signing
    for path in (signing.allowed_signers, signing.gpg_keyring):
        if path is not None:
            files.append(input_file("signing keys", path, base))
    if installation.evidence_dir is not None:
        for path in _files_below(installation.evidence_dir):
            files.append(input_file("document", path, base))
    files += [input_file(CONTROLS, path, library_dir) for path in _library_files(library_dir)]
    return InputsRecord(
        library=library_name(library_dir, base),
        files=tuple(sorted(files, key=lambda f: (f.kind, f.path))),
    )
