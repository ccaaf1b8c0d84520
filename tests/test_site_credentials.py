"""`meshcomply site` and a pack an older meshcomply built from a URL with credentials
(`https://user:token@host/...` in evidence.json's source.repo): the portal would publish the token
on its pages and in the pack's own files it serves, which the manifest keeps from being changed.
Such a pack is refused, naming it and the line, and the token is printed nowhere."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli
from generator.evidence.codec import write_model
from generator.manifest import write_manifest
from generator.testing import synthetic_evidence

TOKEN = "ghp_s3cretT0ken"


def _pack(folder: Path, installation: str, repo: str) -> Path:
    model = synthetic_evidence(installation, changes=12, controls=3)
    source = dataclasses.replace(
        model.source,
        repo=repo,
        # what an older build also recorded: the clone command an auditor pastes
        reproduce=tuple(
            dataclasses.replace(step, command=f"git clone {repo} origin")
            if step.command.startswith("git clone")
            else step
            for step in model.source.reproduce
        ),
    )
    pack = folder / installation
    pack.mkdir(parents=True)
    write_model(dataclasses.replace(model, source=source), pack / "evidence.json")
    write_manifest(pack)
    return pack


def _site(out: Path, *packs: Path, formats: str = "html") -> Result:
    args = ["site", *map(str, packs), "--no-config", "--format", formats, "--out", str(out)]
    return CliRunner().invoke(cli, args)


def _files_holding(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


@pytest.mark.parametrize(
    ("repo", "shown"),
    [
        (f"https://bob:{TOKEN}@git.example.com/acme.git", "https://git.example.com/acme.git"),
        (f"https://{TOKEN}@github.com/acme/config.git", "https://github.com/acme/config.git"),
    ],
)
def test_a_pack_recording_credentials_is_refused_and_nothing_is_written(tmp_path, repo, shown):
    good = _pack(tmp_path / "packs", "globex", "https://git.example.com/globex.git")
    old = _pack(tmp_path / "packs", "acme", repo)
    assert _files_holding(old, TOKEN) == [old / "evidence.json"]  # the crafted pack holds it
    out = tmp_path / "out"
    for formats in ("html", "html,oscal"):
        result = _site(out, good, old, formats=formats)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
        assert f"1 pack refused:\n{old}: evidence.json:" in result.output
        assert f"source.repo records the repository URL with credentials ({shown} " in (
            result.output
        )
        assert "Rebuild the pack with this meshcomply" in result.output
        assert TOKEN not in result.output
        # no site, no OSCAL: nothing that could hold the token
        assert sorted(p.name for p in out.iterdir()) == [".meshcomply.lock"]


def test_the_refusal_names_the_line_of_source_repo(tmp_path):
    repo = f"https://bob:{TOKEN}@git.example.com/acme.git"
    pack = _pack(tmp_path, "acme", repo)
    text = (pack / "evidence.json").read_text(encoding="utf-8")
    at = text.index(f'"{repo}"')
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    result = _site(tmp_path / "out", pack)
    assert f"{pack}: evidence.json:{line}:{column}: source.repo records" in result.output


def test_a_pack_without_credentials_builds_a_site_free_of_them(tmp_path):
    """The same packs rebuilt (the URL without credentials, ssh's user@host:path as written)
    assemble, and no page, search index or copied file of the site holds a token."""
    packs = [
        _pack(tmp_path / "packs", "acme", "https://git.example.com/acme.git"),
        _pack(tmp_path / "packs", "globex", "git@git.example.com:globex/config.git"),
    ]
    out = tmp_path / "out"
    result = _site(out, *packs)
    assert result.exit_code == 0, result.output
    site = out / "site"
    assert _files_holding(site, "https://git.example.com/acme.git")  # the URL is shown
    assert _files_holding(site, "git@git.example.com:globex/config.git")
    assert (site / "search" / "search_index.json").is_file()
    assert _files_holding(site, TOKEN) == []


def test_verify_warns_of_a_pack_recording_credentials_and_still_says_it_is_intact(tmp_path):
    repo = f"https://bob:{TOKEN}@git.example.com/acme.git"
    pack = _pack(tmp_path, "acme", repo)
    result = CliRunner().invoke(cli, ["verify", str(pack)])
    assert result.exit_code == 0, result.output  # its files match its manifest: intact
    text = (pack / "evidence.json").read_text(encoding="utf-8")
    at = text.index(f'"{repo}"')
    line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
    assert result.output.splitlines() == [
        f"{pack}: warning: evidence.json:{line}:{column}: source.repo records the repository "
        "URL with credentials (https://git.example.com/acme.git with a user name or token before "
        "the host): meshcomply site refuses this pack, since the portal would publish them; "
        "rebuild it with this meshcomply, which records the URL without them, and revoke the "
        "token",
        f"{pack}: intact (files match manifest.json)",
    ]
    clean = _pack(tmp_path / "clean", "acme", "https://git.example.com/acme.git")
    quiet = CliRunner().invoke(cli, ["verify", str(clean)])
    assert quiet.output == f"{clean}: intact (files match manifest.json)\n"
