"""Build small git repositories for tests, quickly and with exact, fixed histories.

Everything goes through the git CLI with a clean environment (no global or system config, no
signing unless asked), and every commit gets explicit identities and dates, so the same calls
always give the same history, shas included (except for signed commits).

    from gitrepo import GitRepo, ssh_key   # tests/ is on sys.path under pytest

    repo = GitRepo.create(tmp_path / "acme")            # `main`, empty
    base = repo.commit("Initial", files={"environments/staging/meshstack.yaml": "version: 1\\n"},
                       date="2026-01-05T10:00:00+01:00", author="Ann Op <ann@example.com>")
    repo.branch("feature")                               # create and check out
    repo.commit("Raise log level", files={"environments/production/logging.yaml": "level: info\\n"})
    repo.checkout("main")
    merge = repo.merge("feature", committer="Max Merge <max@example.com>",
                       trailers=[("Approved-by", "Bob <bob@example.com>")])
    repo.tag("production/2026.1.0", message="Release")  # annotated; without message: lightweight
    repo.commit("Rename", renames={"a.yaml": "b.yaml"})
    repo.commit("Signed", sign=ssh_key(tmp_path))        # ssh-signed with a throwaway key
    repo.commit("Non-UTF-8", files={...}) / repo.commit(b"Caf\xe9", encoding="ISO-8859-1")
    shallow = repo.clone(tmp_path / "shallow", depth=1)  # also mirror=True
    repo.add_submodule(other_repo, "modules/net"); repo.commit("Add submodule")
    repo.reset_hard("HEAD~2")                            # rewrite history
    gpg = gpg_key(tmp_path); repo.commit("gpg", sign=gpg); gpg.stop_agent()

    git("log", "--oneline", cwd=repo.path)               # any git command, same clean environment
    repo.git("rev-parse", "HEAD"); repo.head(); repo.rev("feature")

Dates: ISO 8601 with an offset (``2026-01-05T10:00:00+01:00``); without one, each commit is an
hour after the previous one, starting 2026-01-01T09:00:00Z. ``committer`` and ``committer_date``
default to the author and the author date. Files map a path to text, bytes, or None (delete).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_AUTHOR = "Ann Author <ann@example.com>"
FIRST_DATE = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
_IDENTITY = re.compile(r"^(.*?)\s*<([^>]*)>\s*$")


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without the user's git configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_SYSTEM=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    env.update(extra or {})
    return env


def git(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
) -> str:
    """Run git; return stdout as text; raise with git's stderr on failure."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=clean_env(env), input=input, capture_output=True
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"git {' '.join(args)} failed ({result.returncode}): "
            f"{result.stderr.decode('utf-8', 'replace')}"
        )
    return result.stdout.decode("utf-8", "replace")


def git_date(value: str | dt.datetime) -> str:
    """A date in git's internal format (``<epoch> +HHMM``), exact whatever the input offset."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"date without an offset: {value!r}")
    offset = int(moment.utcoffset().total_seconds()) // 60
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{int(moment.timestamp())} {sign}{hours:02d}{minutes:02d}"


def split_identity(identity: str) -> tuple[str, str]:
    """("Name", "email") from "Name <email>"; an identity without <...> has no email."""
    match = _IDENTITY.match(identity)
    return (match.group(1), match.group(2)) if match else (identity, "")


@dataclass(frozen=True)
class SshKey:
    """A throwaway ed25519 key: sign with `private`, verify with `allowed_signers`."""

    private: Path
    public: Path
    allowed_signers: Path  # one line per principal, usable as gpg.ssh.allowedSignersFile


def ssh_key(folder: Path, name: str = "signer", principal: str = "*") -> SshKey:
    """Make a passphrase-less ed25519 key in `folder` and an allowed-signers file trusting it."""
    folder.mkdir(parents=True, exist_ok=True)
    private = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(private)],
        check=True,
    )
    public = folder / f"{name}.pub"
    allowed = folder / f"{name}.allowed_signers"
    allowed.write_text(f"{principal} {public.read_text().strip()}\n")
    return SshKey(private, public, allowed)


@dataclass(frozen=True)
class GpgKey:
    """A throwaway gpg key in its own GnuPG home; `public` holds the exported public key."""

    home: Path
    fingerprint: str
    public: Path

    def stop_agent(self) -> None:
        """End the gpg-agent gpg started for this home (call when the test is done)."""
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "gpg-agent"], check=False)


def gpg_key(folder: Path, uid: str = DEFAULT_AUTHOR) -> GpgKey:
    """Make a passphrase-less ed25519 signing key for `uid` in a fresh GnuPG home."""
    home = folder / "gnupg"
    home.mkdir(parents=True, mode=0o700)
    base = ["gpg", "--homedir", str(home), "--batch", "--quiet"]
    subprocess.run([*base, "--pinentry-mode", "loopback", "--passphrase", "",
                    "--quick-gen-key", uid, "ed25519", "sign", "never"], check=True)  # fmt: skip
    listing = subprocess.run([*base, "--with-colons", "--list-secret-keys"], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
    )
    public = folder / "public.asc"
    exported = subprocess.run([*base, "--armor", "--export", fingerprint], check=True,
                              capture_output=True).stdout  # fmt: skip
    public.write_bytes(exported)
    return GpgKey(home, fingerprint, public)


def _signing(sign: SshKey | GpgKey | None) -> tuple[list[str], list[str], dict[str, str]]:
    """(config options, command flags, environment) for a commit or merge signed with `sign`."""
    if sign is None:
        return [], ["--no-gpg-sign"], {}
    if isinstance(sign, GpgKey):
        config = ["-c", "gpg.format=openpgp", "-c", f"user.signingkey={sign.fingerprint}"]
        return config, ["-S"], {"GNUPGHOME": str(sign.home)}
    return ["-c", "gpg.format=ssh", "-c", f"user.signingkey={sign.private}"], ["-S"], {}


class GitRepo:
    """A working repository built commit by commit with fixed identities and dates."""

    def __init__(self, path: Path):
        self.path = path
        self._clock = FIRST_DATE

    @classmethod
    def create(cls, path: Path, branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        git("init", "--quiet", f"--initial-branch={branch}", str(path))
        return cls(path)

    def git(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        return git(*args, cwd=self.path, env=env, input=input)

    # -- commits -----------------------------------------------------------------------------

    def _dates(self, date: str | None, committer_date: str | None) -> tuple[str, str]:
        moment = self._clock if date is None else dt.datetime.fromisoformat(date)
        self._clock = max(self._clock, moment.astimezone(dt.UTC)) + dt.timedelta(hours=1)
        authored = git_date(moment)
        committed = git_date(committer_date) if committer_date else authored
        return authored, committed

    def _identity_env(
        self, author: str, committer: str | None, date: str | None, committer_date: str | None
    ) -> dict[str, str]:
        authored, committed = self._dates(date, committer_date)
        a_name, a_email = split_identity(author)
        c_name, c_email = split_identity(committer or author)
        return {
            "GIT_AUTHOR_NAME": a_name,
            "GIT_AUTHOR_EMAIL": a_email,
            "GIT_AUTHOR_DATE": authored,
            "GIT_COMMITTER_NAME": c_name,
            "GIT_COMMITTER_EMAIL": c_email,
            "GIT_COMMITTER_DATE": committed,
        }

    def write(self, files: dict[str, str | bytes | None]) -> None:
        """Write (text or bytes) or delete (None) files in the work tree and stage them."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                self.git("rm", "--quiet", "--cached", "--", name)
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
            self.git("add", "--", name)

    def commit(
        self,
        message: str | bytes,
        *,
        files: dict[str, str | bytes | None] | None = None,
        renames: dict[str, str] | None = None,
        author: str = DEFAULT_AUTHOR,
        committer: str | None = None,
        date: str | None = None,
        committer_date: str | None = None,
        trailers: list[tuple[str, str]] = (),
        sign: SshKey | GpgKey | None = None,
        encoding: str | None = None,
    ) -> str:
        """Commit the given changes (an empty commit if none); return the new sha.

        `message` as bytes is stored verbatim (for non-UTF-8 tests), with `encoding` written to
        the commit's encoding header when given.
        """
        for old, new in (renames or {}).items():
            (self.path / new).parent.mkdir(parents=True, exist_ok=True)
            self.git("mv", "--", old, new)
        self.write(files or {})
        if isinstance(message, str):
            message = message.rstrip("\n")
            if trailers:
                message += "\n\n" + "\n".join(f"{k}: {v}" for k, v in trailers)
            raw = (message + "\n").encode("utf-8")
        else:
            raw = message
        env = self._identity_env(author, committer, date, committer_date)
        options = ["-c", f"i18n.commitEncoding={encoding}"] if encoding else []
        config, flags, signing_env = _signing(sign)
        self.git(*options, *config, "commit", "--quiet", "--allow-empty", "--cleanup=verbatim",
                 "--no-verify", *flags, "-F", "-", env={**env, **signing_env},
                 input=raw)  # fmt: skip
        return self.head()

    def merge(
        self,
        *branches: str,
        message: str | None = None,
        author: str | None = None,
        committer: str = DEFAULT_AUTHOR,
        date: str | None = None,
        trailers: list[tuple[str, str]] = (),
        sign: SshKey | GpgKey | None = None,
    ) -> str:
        """Merge branches into the current one with a merge commit (octopus for several)."""
        message = (message or f"Merge {', '.join(branches)}").rstrip("\n")
        if trailers:
            message += "\n\n" + "\n".join(f"{k}: {v}" for k, v in trailers)
        env = self._identity_env(author or committer, committer, date, None)
        config, flags, signing_env = _signing(sign)
        self.git(*config, "merge", "--quiet", "--no-ff", "--no-edit", "--cleanup=verbatim",
                 *flags, "-m", message, *branches, env={**env, **signing_env})  # fmt: skip
        return self.head()

    # -- refs --------------------------------------------------------------------------------

    def branch(self, name: str, start: str | None = None, *, checkout: bool = True) -> None:
        """Create a branch (at `start`, default the current commit) and by default check it out."""
        if checkout:
            self.git("checkout", "--quiet", "-b", name, *([start] if start else []))
        else:
            self.git("branch", name, *([start] if start else []))

    def checkout(self, ref: str) -> None:
        self.git("checkout", "--quiet", ref)

    def tag(
        self,
        name: str,
        target: str = "HEAD",
        *,
        message: str | None = None,
        tagger: str = DEFAULT_AUTHOR,
        date: str | None = None,
        sign: SshKey | GpgKey | None = None,
    ) -> None:
        """A lightweight tag, or an annotated one when `message` is given (signed with `sign`)."""
        if message is None:
            self.git("tag", name, target)
            return
        t_name, t_email = split_identity(tagger)
        stamp = git_date(date) if date else git_date(self._clock)
        env = {
            "GIT_COMMITTER_NAME": t_name,
            "GIT_COMMITTER_EMAIL": t_email,
            "GIT_COMMITTER_DATE": stamp,
        }
        config, _flags, signing_env = _signing(sign)
        how = ["-s"] if sign is not None else ["--no-sign", "-a"]
        self.git(*config, "tag", *how, name, target, "-m", message, env={**env, **signing_env})

    def reset_hard(self, ref: str) -> None:
        """Move the current branch (rewriting history in tests of rewritten history)."""
        self.git("reset", "--quiet", "--hard", ref)

    def head(self) -> str:
        return self.rev("HEAD")

    def rev(self, ref: str) -> str:
        return self.git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()

    def add_submodule(self, source: GitRepo, path: str) -> None:
        """Stage `source` as a submodule at `path` (commit it with `commit`)."""
        self.git(
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "--quiet",
            "add",
            f"file://{source.path}",
            path,
        )

    def clone(self, target: Path, *, depth: int | None = None, mirror: bool = False) -> GitRepo:
        """A clone of this repository (shallow with `depth`)."""
        options = [f"--depth={depth}"] if depth else []
        options += ["--mirror"] if mirror else []
        git("clone", "--quiet", *options, f"file://{self.path}", str(target))
        return GitRepo(target)
