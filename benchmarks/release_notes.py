"""Benchmark: release notes for a 5,000-release archive and a 100,000-commit history.

Builds, in a temporary folder:
- a synthetic archive of 5,000 release notes in meshcloud's format (about 7 tickets each; plain
  paragraphs with `code`, and in the published notes' share of tickets emphasis, links, lists);
- a 100,000-commit repository made with ``git fast-import``: one commit an hour, each touching an
  environment's configuration, a ``production/<version>`` tag every 50 commits (2,000 production
  rollouts, so each one jumps over 1-2 versions of the archive) and a staging version bump in
  ``environments/staging/meshstack.yaml`` 25 commits before each tag;
- a ``meshcomply.yml`` for it, with a period covering the whole history.

Then times, in the same run:
- ``git log`` of the repository (output discarded): the floor for anything reading the history;
- ``git cliff`` (PyPI package ``git-cliff``, default configuration) writing a changelog of it;
- ``meshcomply release-notes --format md`` end to end, as a new process: with cold caches (the first
  run on a machine: parse the notes, read the history, join, render), again with the caches warm
  (nothing new), and after a new release (what an operator runs after each rollout: meshcloud
  published one more note and the repository gained 50 commits, a staging bump and a tag, so both
  caches are extended, not reused as they are);
- the same pipeline in-process, phase by phase, to show where the time goes.

Usage: python benchmarks/release_notes.py [--commits N] [--releases N] [--keep DIR] [--no-cliff]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's generator

EVERY = 50  # commits per production release tag
NEW_RELEASES = 3  # rolled out one by one after the warm runs
START = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
_VOCABULARY = (
    "tenant workspace project landing zone replication building block marketplace policy",
    "platform billing chargeback identity provider group role binding service instance api",
    "panel customer partner operator quota tag metadata definition input output secret",
    "approval notification audit log export report cost cluster subscription account",
)
WORDS = [word for line in _VOCABULARY for word in line.split()]
AUDIENCE_SETS = (
    ["User"],
    ["User"],
    ["Partner"],
    ["Operator"],
    ["User", "Partner"],
    ["Partner", "Operator"],
    ["Customer"],
    ["User", "Customer", "Operator"],
)


def note_versions(count: int) -> list[str]:
    return [f"{2000 + i // 50}.{i % 50 + 1}.0" for i in range(count)]


# Share of ticket texts with Markdown syntax beyond plain paragraphs and `code`: 64 of the 1,924
# description and how-to-use texts of the published notes (2023/2025) need it. The synthetic
# archive uses the same share, so both of richtext's paths are exercised in realistic proportion.
MARKDOWN_SHARE = 64 / 1924


def sentence(rng: random.Random, markdown: bool) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    decorated = []
    for word in words:
        roll = rng.random()
        if roll < 0.04:
            word = f"`{word}`"
        elif markdown and roll < 0.08:
            word = f"**{word}**"
        elif markdown and roll < 0.12:
            word = f"[{word}](https://docs.example.com/{word})"
        decorated.append(word)
    return " ".join(decorated).capitalize() + "."


def paragraph(rng: random.Random, markdown: bool) -> str:
    return "\n".join(sentence(rng, markdown) for _ in range(rng.randint(2, 4)))


def note_text(rng: random.Random, version: str, index: int) -> str:
    day = dt.date(2000, 1, 1) + dt.timedelta(days=index * 2)
    tickets = []
    for number in range(rng.randint(3, 11)):
        title = " ".join(rng.choices(WORDS, k=5)).title() + f" {number}"
        markdown = rng.random() < MARKDOWN_SHARE
        body = paragraph(rng, markdown)
        if markdown and rng.random() < 0.5:
            body += "\n\n" + "\n".join(f"- {sentence(rng, markdown)}" for _ in range(3))
        how = ""
        if rng.random() < 0.3:
            how = f"\n\n#### How to use\n{paragraph(rng, rng.random() < MARKDOWN_SHARE)}"
        audience = ", ".join(rng.choice(AUDIENCE_SETS))
        tickets.append(
            (title, f"### {title}\n**Audience:** {audience}<br>\n\n#### Description\n{body}{how}\n")
        )
    listing = "\n".join(f"* {title}" for title, _ in tickets)
    details = "\n".join(text for _, text in tickets)
    return (
        f"---\nauthor: meshcloud\ntitle: Release {version}\n---\n\n"
        f"Release period: {day - dt.timedelta(days=7)} to {day}\n\n"
        f"This release includes the following issues:\n{listing}\n<!--truncate-->\n\n"
        f"## Ticket Details\n{details}"
    )


def write_notes(folder: Path, versions: list[str]) -> None:
    folder.mkdir(parents=True)
    rng = random.Random(5000)
    for index, version in enumerate(versions):
        write_note(folder, rng, version, index)


def write_note(folder: Path, rng: random.Random, version: str, index: int) -> None:
    day = dt.date(2000, 1, 1) + dt.timedelta(days=index * 2)
    (folder / f"{day}-Release-{index}.md").write_text(note_text(rng, version, index))


def fast_import_stream(commits: int, versions: list[str]) -> bytes:
    """A fast-import stream: `commits` commits on main and the release tags."""
    releases = commits // EVERY

    def release_version(release: int) -> str:
        # Spread the rollouts over the archive, so every rollout jumps over some versions.
        return versions[min(len(versions) - 1, (release + 1) * len(versions) // releases - 1)]

    return commit_stream(range(1, commits + 1), release_version, random.Random(100_000))


def new_release_stream(commits: int, version: str) -> bytes:
    """One more release on top of `commits` commits: EVERY commits, a staging bump, a tag."""
    release = commits // EVERY
    numbers = range(commits + 1, commits + EVERY + 1)
    return commit_stream(numbers, lambda _: version, random.Random(release), continues=True)


def commit_stream(
    numbers: range,
    release_version: Callable[[int], str],
    rng: random.Random,
    continues: bool = False,
) -> bytes:
    """Commits `numbers` on main (the n-th an hour after START), tagged every EVERY commits."""
    out: list[bytes] = []

    def data(payload: str) -> None:
        raw = payload.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    for n in numbers:
        when = int((START + dt.timedelta(hours=n)).timestamp())
        author = rng.choice(("Ann Operator", "Bob Builder", "Chen Wei", "Dana Approver"))
        email = author.split()[0].lower() + "@example.com"
        release, step = divmod(n, EVERY)
        if step == EVERY // 2 and n + EVERY // 2 < numbers.stop:  # staged, later tagged
            path, content = (
                "environments/staging/meshstack.yaml",
                (f"meshstack:\n  version: {release_version(release)}\n"),
            )
            subject = f"Stage meshStack {release_version(release)}"
        else:
            env = "production" if n % 3 == 0 else "staging"
            path, content = f"environments/{env}/config-{n % 7}.yaml", f"value: {n}\n"
            subject = f"Change {rng.choice(WORDS)} {rng.choice(WORDS)} ({n})"
        out.append(b"commit refs/heads/main\nmark :%d\n" % n)
        out.append(f"author {author} <{email}> {when} +0000\n".encode())
        out.append(f"committer {author} <{email}> {when} +0000\n".encode())
        data(f"{subject}\n\nApproved-by: Dana Approver <dana@example.com>\n")
        if n > numbers.start:
            out.append(b"from :%d\n" % (n - 1))
        elif continues:
            out.append(b"from refs/heads/main^0\n")
        out.append(f"M 100644 inline {path}\n".encode())
        data(content)
        if step == 0:
            out.append(f"reset refs/tags/production/{release_version(release - 1)}\n".encode())
            out.append(b"from :%d\n\n" % n)
    out.append(b"done\n")
    return b"".join(out)


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    return env


def make_repo(repo: Path, commits: int, versions: list[str]) -> None:
    subprocess.run(
        ["git", "init", "-q", "--initial-branch=main", str(repo)], check=True, env=git_env()
    )
    fast_import(repo, fast_import_stream(commits, versions))
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True, env=git_env())


def fast_import(repo: Path, stream: bytes) -> None:
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"], cwd=repo, check=True, input=stream,
        env=git_env(),
    )  # fmt: skip


def publish_and_roll_out(root: Path, commits: int, release: int) -> None:
    """The next release: meshcloud publishes its note, the installation stages and tags it."""
    version = f"2100.{release + 1}.0"  # after every version of the archive
    write_note(root / "notes", random.Random(release), version, 10_000 + release)
    fast_import(root / "repo", new_release_stream(commits + release * EVERY, version))


CONFIG = """\
period: {start}..{end}
release_notes: ./notes
installations:
  bench:
    repo: ./repo
    ref: main
    environments:
      staging:
        paths: ["environments/staging/**"]
        release: {{file: environments/staging/meshstack.yaml, key: meshstack.version}}
      production:
        paths: ["environments/production/**"]
        release: {{tag_pattern: '^production/(?P<version>[0-9]+\\.[0-9]+\\.[0-9]+)$'}}
        approval: required
"""


@dataclass
class Timing:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and its children

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s wall {self.cpu:7.2f} s CPU"


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


def best_of(runs: int, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Timing:
    timings = [timed(command, cwd, env) for _ in range(runs)]
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def in_process_phases(root: Path) -> list[tuple[str, Timing]]:
    """The CLI's pipeline step by step, cold history cache, to show where the time goes."""
    from generator.build import config_sections
    from generator.config import load_config
    from generator.evidence.sections import history_sections
    from generator.history import read_history
    from generator.releasenotes import load_release_notes, textforms
    from generator.releasenotes.atom import render_atom
    from generator.releasenotes.join import release_view
    from generator.releasenotes.render import render_html, render_markdown

    phases = []
    clock = (time.perf_counter(), time.process_time())

    def lap(name: str) -> None:
        nonlocal clock
        now = (time.perf_counter(), time.process_time())
        phases.append((name, Timing(now[0] - clock[0], now[1] - clock[1])))
        clock = now

    gc.disable()  # as the CLI does for the whole command
    config = load_config(root / "meshcomply.yml", config_sections())
    installation = config.installations[0]
    lap("load meshcomply.yml")
    shutil.rmtree(root / ".phase-cache", ignore_errors=True)
    notes = load_release_notes(config.release_notes, cache_dir=root / ".phase-cache")
    lap(f"parse {len(notes)} notes, cold")
    notes = load_release_notes(config.release_notes, cache_dir=root / ".phase-cache")
    lap("load notes, warm cache")
    production = ("production",)  # as the CLI reads it for --environment production
    cache = root / ".phase-cache"
    history = read_history(installation, config.period, cache_dir=cache, environments=production)
    lap(f"read history, cold ({len(history.commits)} commits)")
    history = read_history(installation, config.period, cache_dir=cache, environments=production)
    lap("read history, warm cache")
    model = history_sections(history, environment="production", earlier_releases=True)
    lap(f"evidence-model part ({len(model.changes)} changes)")
    view = release_view(model, notes, "production")
    lap(f"join ({len(view.versions)} rollouts)")
    texts = textforms.load(cache, textforms.MarkdownTexts)  # none yet: a new cache folder
    render_markdown(view, texts)
    lap("Markdown rendering every ticket text, cold")
    textforms.save(texts)
    lap(f"save {len(texts.known)} tickets' Markdown")
    texts = textforms.load(cache, textforms.MarkdownTexts)
    lap("load tickets' Markdown, warm cache")
    markdown = render_markdown(view, texts)
    lap(f"render Markdown ({len(markdown) // 1024} KiB)")
    html = textforms.load(cache, textforms.HtmlTexts)
    render_html(view, html)
    textforms.save(html)
    lap("render HTML, every ticket text, cold")
    html = textforms.load(cache, textforms.HtmlTexts)
    lap("load tickets' HTML, warm cache")
    render_html(view, html)
    lap("render HTML")
    render_atom(view, html)
    lap("render Atom")
    gc.enable()
    return phases


def ratios(name: str, ours: Timing, git_log: Timing, cliff: Timing | None) -> str:
    versus_cliff = f"{cliff.wall / ours.wall:5.1f}x faster than git cliff" if cliff else ""
    return (
        f"{name:<38} {ours}   {ours.wall / git_log.wall:5.1f}x git log (CPU "
        f"{ours.cpu / git_log.cpu:5.1f}x) {versus_cliff}"
    )


def verdict(git_log: Timing, cliff: Timing | None, cold: Timing, later: list[Timing]) -> str:
    """Both targets, judged on the runs an operator makes: every run after the first one."""
    wall = max(t.wall for t in later) / git_log.wall
    cpu = max(t.cpu for t in later) / git_log.cpu
    met = "met" if max(wall, cpu) <= 3 else "NOT met"
    lines = [
        f"within 3x of git log, runs after the first (warm, new release): {wall:.1f}x wall, "
        f"{cpu:.1f}x CPU: {met}; the first run (cold caches): {cold.wall / git_log.wall:.1f}x "
        f"wall, {cold.cpu / git_log.cpu:.1f}x CPU"
    ]
    if cliff is not None:
        slowest = cliff.wall / cold.wall
        lines.append(
            f"10x faster than git cliff: {slowest:.0f}x even with cold caches: "
            + ("met" if slowest >= 10 else "NOT met")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--releases", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="Build in this (new) folder and keep it.")
    parser.add_argument(
        "--no-cliff",
        action="store_true",
        help="Skip git cliff (about 20 minutes at the default size): for development runs only.",
    )
    args = parser.parse_args()
    if not args.no_cliff and shutil.which("git-cliff") is None:
        sys.exit("git-cliff is not installed: pip install git-cliff")

    root = args.keep or Path(tempfile.mkdtemp(prefix="meshcomply-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        versions = note_versions(args.releases)
        write_notes(root / "notes", versions)
        make_repo(root / "repo", args.commits, versions)
        # The period also covers the releases rolled out during the benchmark.
        end = (START + dt.timedelta(hours=args.commits + NEW_RELEASES * EVERY + 1)).date()
        (root / "meshcomply.yml").write_text(CONFIG.format(start=START.date(), end=end))
        print(
            f"setup: {args.releases} notes, {args.commits} commits, {args.commits // EVERY} "
            f"release tags, in {time.perf_counter() - started:.1f} s"
        )

        repo = root / "repo"
        git_log = best_of(3, ["git", "log"], repo, git_env())
        print(f"{'git log':<38} {git_log}", flush=True)
        cliff = None
        if not args.no_cliff:
            cliff = timed(["git", "cliff", "--output", str(root / "CHANGELOG.md")], repo, git_env())
            print(f"{'git cliff (default config)':<38} {cliff}", flush=True)
        command = [sys.executable, "-c", "from generator.cli import main; main()"]
        command += ["release-notes", "--config", str(root / "meshcomply.yml")]
        command += ["--installation", "bench", "--environment", "production"]
        command += ["--format", "md", "--out", str(root / "release-notes.md")]
        # The code of this checkout, not whatever version of meshcomply is installed.
        checkout = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (checkout, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "MESHCOMPLY_CACHE": str(root / ".cache"), "PYTHONPATH": path}
        cold = timed(command, root, env)
        print(ratios("meshcomply release-notes, cold cache", cold, git_log, cliff), flush=True)
        warm = best_of(3, command, root, env)
        print(ratios("meshcomply release-notes, warm cache", warm, git_log, cliff), flush=True)
        # Best of the new releases: each run extends the caches the run before left.
        after_release = []
        for release in range(NEW_RELEASES):
            publish_and_roll_out(root, args.commits, release)
            after_release.append(timed(command, root, env))
        new_release = Timing(min(t.wall for t in after_release), min(t.cpu for t in after_release))
        print(ratios("meshcomply release-notes, new release", new_release, git_log, cliff))
        print("targets: within 3x of git log, at least 10x faster than git cliff")
        print(verdict(git_log, cliff, cold, [warm, new_release]), flush=True)
        print("in-process phases:")
        phases = in_process_phases(root)
        for name, timing in phases:
            print(f"  {name:<48} {timing}")
        own = [t for name, t in phases if name.startswith(("join", "render Markdown"))]
        join_render = Timing(sum(t.wall for t in own), sum(t.cpu for t in own))
        print(ratios("join + render Markdown (in-process)", join_render, git_log, cliff))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
