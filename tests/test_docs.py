"""The project's documentation builds in strict mode, and the README points at pages that exist."""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def test_documentation_builds_strictly(tmp_path: Path):
    config = load_config(str(ROOT / "mkdocs.yml"), strict=True, site_dir=str(tmp_path / "site"))
    build(config)  # strict: any warning (missing page, broken link or anchor) raises
    assert (tmp_path / "site" / "index.html").is_file()


def test_readme_links_point_at_existing_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert targets
    missing = [t for t in targets if not t.startswith("http") and not (ROOT / t).exists()]
    assert missing == []


def test_readme_starts_with_the_install_and_test_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    # A fresh Debian/Ubuntu has no package lists, and refuses pip into the system Python.
    assert block[0].startswith("apt-get update && apt-get install -y ")
    assert "python3-venv" in block[0].split(" && ")[1].split()
    assert block[0].endswith(
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/meshcomply demo"
    )
    assert block[1] == ".venv/bin/pip install '.[dev]' && .venv/bin/python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == block[1]  # CI ends by running exactly the README's test command


def readme_apt_packages() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("```bash\n", 1)[1].splitlines()[0]
    install = next(step for step in first.split(" && ") if step.startswith("apt-get install"))
    return {word for word in install.split()[2:] if not word.startswith("-")}


def test_ci_installs_every_package_the_readme_installs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    listed = ci.split("apt-get install", 1)[1].split(">/dev/null", 1)[0]
    packages = {w for w in listed.replace("\\\n", " ").split() if not w.startswith("-")}
    assert readme_apt_packages() <= packages
    assert {"openssh-client", "chromium", "poppler-utils"} <= packages  # the tests' own tools
