"""The Dockerfile: what it installs, and (where a container engine runs) the image itself."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_docs import readme_apt_packages

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def apt_packages(text: str) -> set[str]:
    joined = text.replace("\\\n", " ")
    installs = re.findall(r"apt-get install ([^&\n]*)", joined)
    return {word for line in installs for word in line.split() if not word.startswith("-")}


def test_dockerfile_installs_what_the_readme_and_the_signing_need():
    # The base image brings Python; everything else the README installs must be in the image.
    assert readme_apt_packages() - {"python3-venv"} <= apt_packages(DOCKERFILE)
    assert {"openssh-client", "gnupg"} <= apt_packages(DOCKERFILE)
    assert re.search(r"^FROM python:3\.1[1-9]-slim-bookworm$", DOCKERFILE, re.M)
    assert 'ENTRYPOINT ["meshcomply"]' in DOCKERFILE


def _engine() -> tuple[str | None, str]:
    """A container engine that can build here, or why there is none."""
    reasons = []
    for name in ("docker", "podman"):
        if shutil.which(name) is None:
            reasons.append(f"{name} is not installed")
            continue
        try:
            probe = subprocess.run([name, "info"], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            reasons.append(f"`{name} info` did not answer within 60 s")
            continue
        if probe.returncode == 0:
            return name, ""
        reasons.append(f"{name} is installed but `{name} info` fails (no daemon or no rights)")
    return None, "; ".join(reasons)


ENGINE, NO_ENGINE = _engine()


@pytest.mark.skipif(ENGINE is None, reason=f"the image is not built: {NO_ENGINE}")
def test_image_builds_and_runs_the_demo_on_a_mounted_folder(tmp_path: Path):
    assert ENGINE is not None
    tag = "meshcomply:test"
    subprocess.run([ENGINE, "build", "-q", "-t", tag, str(ROOT)], check=True, timeout=1800)
    version = subprocess.run(
        [ENGINE, "run", "--rm", tag, "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("meshcomply, version ")
    subprocess.run(
        [ENGINE, "run", "--rm", "-v", f"{tmp_path}:/work", tag, "demo", "--out", "demo"],
        check=True,
        timeout=1800,
    )
    assert list((tmp_path / "demo" / "packs").glob("*/*/evidence-pack.pdf"))
