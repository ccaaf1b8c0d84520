"""The PDF's attachments are embedded from their files in blocks, byte for byte as WeasyPrint
would embed them itself, and without holding a file whole (evidence.json grows with the history)."""

from __future__ import annotations

import datetime as dt
import hashlib
import tracemalloc
from pathlib import Path

import pytest
from weasyprint import Attachment

from generator.render.pdf import weasy
from generator.render.pdf.weasy import PDF_VARIANT, PackFile, lay_out, write_pdf

GENERATED_AT = "2026-07-01T00:00:00+00:00"
HTML = "<html><head><title>t</title></head><body><p>One page.</p></body></html>"


def _files(folder: Path, contents: dict[str, bytes]) -> list[PackFile]:
    files = []
    for name, data in contents.items():
        (folder / name).write_bytes(data)
        files.append(PackFile(name, folder / name, "Data", f"the file {name}"))
    return files


def _weasyprint_own(files: list[PackFile], contents: dict[str, bytes]) -> bytes:
    """What WeasyPrint writes when it is handed each file's bytes (the path before streaming)."""
    stamp = dt.datetime.fromisoformat(GENERATED_AT).astimezone(dt.UTC).replace(tzinfo=None)
    embedded = [
        Attachment(
            string=contents[f.name],
            name=f.name,
            description=f.description,
            created=stamp,
            modified=stamp,
            relationship=f.relationship,
        )
        for f in files
    ]
    return lay_out(HTML).write_pdf(
        pdf_variant=PDF_VARIANT, attachments=embedded, pdf_identifier=True
    )


def test_streamed_attachments_give_weasyprints_own_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(weasy, "_BLOCK", 1000)  # many blocks per file
    varied = hashlib.sha512(b"seed").digest() * 40 + bytes(range(256)) * 30
    contents = {
        "evidence.json": b'{"changes": [' + b'{"sha": "abc", "n": 1},' * 3000 + b"]}\n",
        "changes.csv": varied,
        "sample.csv": b"",
        "deviations.csv": "ä,ö,€\n".encode() * 700,
    }
    files = _files(tmp_path, contents)
    ours = write_pdf(lay_out(HTML), files, GENERATED_AT)
    assert ours == _weasyprint_own(files, contents)


def test_an_attachment_is_never_held_whole(tmp_path):
    row = b'{"sha": "0123456789abcdef0123456789abcdef01234567", "subject": "a change"},\n'
    big = row * (24_000_000 // len(row))  # 24 MB that deflate shrinks to little
    (tmp_path / "evidence.json").write_bytes(big)
    files = [PackFile("evidence.json", tmp_path / "evidence.json", "Source", "model")]
    del big
    document = lay_out(HTML)
    tracemalloc.start()
    try:
        data = write_pdf(document, files, GENERATED_AT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data) < 1_000_000
    assert peak < 8_000_000, f"{peak / 1e6:.1f} MB held while embedding a 24 MB file"


def test_an_unreadable_attachment_is_a_build_error_naming_it(tmp_path):
    from generator.errors import BuildError

    files = _files(tmp_path, {"sample.csv": b"a\n"})
    (tmp_path / "sample.csv").unlink()
    (tmp_path / "sample.csv").mkdir()  # there, but not a readable file
    with pytest.raises(BuildError, match=r"sample\.csv: cannot read it"):
        write_pdf(lay_out(HTML), files, GENERATED_AT)
