"""The GitHub Action, the GitLab CI template and the pre-commit hooks run their meshcomply commands.

Each file is parsed as its CI system would, and every step, script line or hook that calls
meshcomply is executed for real against the tiny installation of the build tests. Installing
(apt, pip) and uploading artifacts are the CI systems' own business and are not run; the paths
the upload steps name are checked to exist.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import test_build
import yaml
from test_build import PACK

ROOT = Path(__file__).resolve().parents[1]
project = test_build.project  # the tiny installation the build tests use (a fixture)
BROKEN_PERIOD = "period: 2026-03-31..2026-01-01\n"
RUNNER_TEMP = ".runner-temp"  # the action's ${{ runner.temp }}, below the test's folder
CACHE_KEY = "0123456789abcdef" * 4


def ci_env(**extra: str) -> dict[str, str]:
    """The environment after the install step: meshcomply on PATH (beside this interpreter)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, **extra}


def break_period(folder: Path) -> None:
    config = folder / "meshcomply.yml"
    config.write_text(BROKEN_PERIOD + config.read_text().split("\n", 1)[1])


# --- GitHub Action -------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def expand(
    text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]], runner_temp: str = ""
) -> str:
    """GitHub's ${{ }} expressions, as far as the action uses them; anything else fails."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression == "runner.temp" and runner_temp:
            return runner_temp
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        step = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        assert step, f"expression the test does not evaluate: {expression}"
        return outputs.get(step.group(1), {}).get(step.group(2), "")

    return _EXPRESSION.sub(value, text)


def run_action(folder: Path, **given: str) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    """Run the action's own steps in ``folder``; exit code and outputs per step id."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({name.replace("_", "-"): text for name, text in given.items()})
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    assert {s.get("id") for s in steps if "run" in s} == {"install", "config", "build", "gate"}
    codes: dict[str, int] = {}
    outputs: dict[str, dict[str, str]] = {}
    for step in steps:
        if "run" not in step or step["id"] == "install":
            continue  # setup-python, apt/pip and the artifact uploads
        output_file = folder / f".github-output-{step['id']}"
        output_file.write_text("")
        temp = str(folder / RUNNER_TEMP)
        env = {k: expand(str(v), inputs, outputs, temp) for k, v in (step.get("env") or {}).items()}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=folder,
            env=ci_env(GITHUB_OUTPUT=str(output_file), **env),
            capture_output=True,
            text=True,
            timeout=600,
        )
        codes[step["id"]] = done.returncode
        outputs[step["id"]] = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines()
        )
        if done.returncode != 0:
            break  # GitHub skips the later steps (but for the uploads, which run always)
    uploads = [
        folder / expand(s["with"]["path"], inputs, outputs)
        for s in steps
        if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    outputs["uploads"] = {str(path): str(path.is_dir()) for path in uploads}
    return codes, outputs


def test_action_builds_uploads_and_fails_on_findings(project: Path):
    codes, outputs = run_action(project, format="json,html", fail_on="open")
    # The build step records the gate's answer and succeeds, so the uploads run; the gate fails.
    assert codes == {"config": 0, "build": 0, "gate": 3}
    assert outputs["build"] == {"status": "3"}
    assert (project / "meshcomply-out" / PACK / "evidence.json").is_file()
    assert outputs["uploads"] == {
        str(project / "meshcomply-out" / "packs"): "True",
        str(project / "meshcomply-out" / "site"): "True",
    }


def test_action_passes_without_gate_and_honours_installation_out_and_key(project: Path):
    key = project / "signing-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    codes, outputs = run_action(
        project, format="json", installation="acme", out="evidence", sign_key=str(key)
    )
    assert codes == {"config": 0, "build": 0, "gate": 0}
    assert outputs["build"] == {"status": "0"}
    assert (project / "evidence" / PACK / "manifest.json").is_file()
    assert (project / "evidence" / PACK / "manifest.json.sig").is_file()
    assert not (project / "evidence" / "site").exists()


def test_action_assembles_the_site_from_packs_of_other_jobs(project: Path):
    codes, _ = run_action(project, format="json", out="matrix-acme")  # a matrix job
    assert codes == {"config": 0, "build": 0, "gate": 0}
    shutil.copytree(project / "matrix-acme" / "packs", project / "downloaded")
    break_period(project)  # the assembling job checks no installation: only what site reads
    codes, outputs = run_action(project, packs="downloaded", out="assembled")
    assert codes == {"config": 0, "build": 0, "gate": 0}
    assert (project / "assembled" / "site" / "index.html").is_file()
    assert outputs["uploads"][str(project / "assembled" / "site")] == "True"
    assert not (project / "assembled" / "packs").exists()


def sealed_caches(cache_dir: Path) -> list[Path]:
    """The cache files below `cache_dir`, each checked to be sealed (cachekey.py)."""
    from generator.cachekey import MAGIC

    files = [p for p in cache_dir.rglob("*") if p.is_file() and p.suffix != ".lock"]
    assert all(p.read_bytes().startswith(MAGIC) for p in files), files
    return files


def test_action_keeps_sealed_caches_between_runs_only_with_the_key(project: Path):
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    position = {step.get("id") or step["uses"]: n for n, step in enumerate(steps)}
    restore, save = steps[position["cache"]], steps[position["actions/cache/save@v4"]]
    build = steps[position["build"]]
    assert restore["uses"] == "actions/cache/restore@v4"
    assert position["install"] < position["cache"] < position["build"]
    assert position["build"] < position["actions/cache/save@v4"] < position["gate"]
    # Restored and saved where the build keeps its caches, under a key per installation and
    # branch (a new one each run: a cache entry is never replaced), only for a job with the key.
    kept = build["env"]["CACHE_DIR"]
    paths = [kept, f"!{kept}/repos"]  # URL mirrors are git repositories no seal covers
    assert restore["with"]["path"].splitlines() == save["with"]["path"].splitlines() == paths
    assert build["env"]["CACHE_KEY"] == "${{ inputs.cache-key }}"
    assert "inputs.cache-key != ''" in restore["if"] and "steps.cache.outputs" in save["if"]
    assert save["with"]["key"] == "${{ steps.cache.outputs.cache-primary-key }}"
    for part in ("inputs.installation", "github.ref_name", "github.run_id"):
        assert part in restore["with"]["key"]
    cache_dir = project / RUNNER_TEMP / "meshcomply-cache"
    codes, _ = run_action(project, format="json")  # no key (a fork's pull request): no cache
    assert codes == {"config": 0, "build": 0, "gate": 0}
    assert not cache_dir.exists()
    planted = cache_dir / "repos" / "0123" / "config"  # a mirror no seal covers, in a restore
    planted.parent.mkdir(parents=True)
    planted.write_text("[core]\n\thooksPath = /tmp/evil\n")
    codes, _ = run_action(project, format="json", cache_key=CACHE_KEY)
    assert codes == {"config": 0, "build": 0, "gate": 0}
    assert not (cache_dir / "repos").exists()
    assert any(p.parent.name == "history" for p in sealed_caches(cache_dir))
    assert not (cache_dir / "cache.key").exists()  # the secret seals them, no key file


def test_action_stops_at_a_broken_config(project: Path):
    break_period(project)
    codes, _ = run_action(project, format="json")
    assert codes == {"config": 1}


# --- GitLab CI template --------------------------------------------------------------------


def gitlab_job(name: str) -> dict:
    """A job of the template with its `extends:` applied as GitLab does (hashes merged, the
    rest replaced)."""
    template = yaml.safe_load((ROOT / "ci/gitlab/meshcomply.gitlab-ci.yml").read_text())
    job = template[name]
    if "extends" not in job:
        return job
    merged = dict(gitlab_job(job["extends"]))
    for key, value in job.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        elif key != "extends":
            merged[key] = value
    return merged


def run_gitlab_job(
    folder: Path, job_name: str = ".meshcomply", **variables: str
) -> subprocess.CompletedProcess[str]:
    """The template's job as a runner runs it: variables, before_script, script, in one shell."""
    job = gitlab_job(job_name)
    env = {
        name: str(value).replace("$CI_PROJECT_DIR", str(folder))
        for name, value in job["variables"].items()
    }
    env.update({f"MESHCOMPLY_{name.upper()}": text for name, text in variables.items()})
    env["TMPDIR"] = str(folder / ".tmp")  # the job's own /tmp (mktemp), not the machine's
    (folder / ".tmp").mkdir(exist_ok=True)
    assert env["MESHCOMPLY_PACKAGE"] == ""  # already installed: the before_script skips pip
    script = "\n".join([*job["before_script"], *job["script"]])
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=folder,
        env=ci_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def gitlab_artifacts(folder: Path, out: str, job_name: str = ".meshcomply") -> list[Path]:
    paths = gitlab_job(job_name)["artifacts"]["paths"]
    return [folder / path.replace("$MESHCOMPLY_OUT", out) for path in paths]


def test_gitlab_template_builds_and_fails_on_findings(project: Path):
    done = run_gitlab_job(project, format="json,html", out="gl")
    assert done.returncode == 0, done.stderr
    assert "meshcomply.yml: 1 installation, 2 environments; no problems" in done.stdout
    assert all(path.is_dir() for path in gitlab_artifacts(project, "gl"))
    key = project / "signing-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    gated = run_gitlab_job(
        project, format="json", fail_on="open", installation="acme", sign_key=str(key)
    )
    assert gated.returncode == 3
    assert "--fail-on open" in gated.stderr
    assert (project / "meshcomply-out" / PACK / "manifest.json.sig").is_file()


def test_gitlab_site_job_assembles_the_matrix_jobs_packs(project: Path):
    matrix = run_gitlab_job(project, format="json,pdf", installation="acme", out="gl")
    assert matrix.returncode == 0, matrix.stderr
    assert not (project / "gl" / "site").exists()
    assert gitlab_job(".meshcomply-site")["artifacts"]["when"] == "always"
    site = run_gitlab_job(project, ".meshcomply-site", out="gl", format="html,oscal")
    assert site.returncode == 0, site.stderr
    assert site.stdout.splitlines()[0] == "1 pack verified"
    site_dir, oscal_dir = gitlab_artifacts(project, "gl", ".meshcomply-site")
    assert (site_dir / "index.html").is_file() and oscal_dir.is_dir()
    assert (
        site_dir / "acme" / "2026-01-01_2026-03-31" / "downloads" / "evidence-pack.pdf"
    ).is_file()


def test_gitlab_template_keeps_sealed_caches_only_with_the_key(project: Path):
    job = gitlab_job(".meshcomply")
    assert job["variables"]["MESHCOMPLY_CACHE"] == "$CI_PROJECT_DIR/.meshcomply-cache"
    assert job["cache"]["paths"] == [".meshcomply-cache/"]
    assert (
        "$CI_JOB_NAME_SLUG" in job["cache"]["key"] and "$CI_COMMIT_REF_SLUG" in job["cache"]["key"]
    )
    cache_dir = project / ".meshcomply-cache"
    done = run_gitlab_job(project, format="json")  # no key: a folder of its own, never this one
    assert done.returncode == 0, done.stderr
    assert not cache_dir.exists()
    planted = cache_dir / "repos" / "0123" / "config"  # a mirror no seal covers, in a restore
    planted.parent.mkdir(parents=True)
    planted.write_text("[core]\n\thooksPath = /tmp/evil\n")
    done = run_gitlab_job(project, format="json", cache_key=CACHE_KEY)
    assert done.returncode == 0, done.stderr
    assert not (cache_dir / "repos").exists()
    assert any(p.parent.name == "history" for p in sealed_caches(cache_dir))
    assert not (cache_dir / "cache.key").exists()
    site = run_gitlab_job(project, ".meshcomply-site", format="html")
    assert site.returncode == 0, site.stderr
    assert gitlab_job(".meshcomply-site")["script"][0] == job["script"][0]  # the same rule


def test_gitlab_template_stops_at_a_broken_config(project: Path):
    break_period(project)
    done = run_gitlab_job(project, format="json")
    assert done.returncode == 1
    assert "meshcomply.yml:1:9: period: period '2026-03-31..2026-01-01' ends before" in done.stderr
    assert not (project / "meshcomply-out").exists()


# --- pre-commit hooks ----------------------------------------------------------------------


def hooks() -> dict[str, dict]:
    return {
        hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    }


def run_hook(hook: dict, folder: Path) -> subprocess.CompletedProcess[str]:
    assert hook["pass_filenames"] is False  # the commands check whole files and folders
    command = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    return subprocess.run(
        command, cwd=folder, env=ci_env(), capture_output=True, text=True, timeout=300
    )


def test_hooks_run_on_the_files_they_are_for():
    check, config = hooks()["meshcomply-check"], hooks()["meshcomply-config-check"]
    for path in ("controls/meshstack/MS-CHG-01.yaml", "controls/applicability.yaml"):
        assert re.search(check["files"], path)
    assert not re.search(check["files"], "meshcomply.yml")
    for path in ("meshcomply.yml", "compliance/meshcomply.yml"):
        assert re.search(config["files"], path)
    assert not re.search(config["files"], "controls/meshstack/MS-CHG-01.yaml")


def test_control_library_hook(tmp_path: Path):
    shutil.copytree(ROOT / "controls", tmp_path / "controls")
    hook = hooks()["meshcomply-check"]
    done = run_hook(hook, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("controls: ") and done.stdout.endswith("; no problems\n")
    control = tmp_path / "controls" / "meshstack" / "MS-CHG-01.yaml"
    control.write_text(control.read_text().replace("coverage: full", "coverage: fully", 1))
    done = run_hook(hook, tmp_path)
    assert done.returncode == 1
    assert re.search(r"controls/meshstack/MS-CHG-01\.yaml:\d+:\d+: .*'fully'", done.stderr)


def test_config_hook(project: Path):
    hook = hooks()["meshcomply-config-check"]
    done = run_hook(hook, project)
    assert (done.returncode, done.stderr) == (0, "")
    break_period(project)
    done = run_hook(hook, project)
    assert done.returncode == 1
    assert done.stderr.startswith("meshcomply.yml:1:9: period: ")


@pytest.mark.parametrize("path", ["action.yml", "ci/gitlab/meshcomply.gitlab-ci.yml"])
def test_integrations_install_the_packages_the_readme_installs(path: str):
    from test_docs import readme_apt_packages

    text = (ROOT / path).read_text()
    missing = {p for p in readme_apt_packages() - {"python3-venv", "git"} if p not in text}
    assert missing == set()


# --- the pipelines of docs/ci.md ------------------------------------------------------------


def doc_pipelines() -> list[dict]:
    """Every YAML block of docs/ci.md that is a pipeline (a GitHub workflow or a GitLab file)."""
    text = (ROOT / "docs" / "ci.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    return [b for b in blocks if isinstance(b, dict) and ("jobs" in b or "include" in b)]


def command_options(words: list[str]) -> set[str] | None:
    """The options of the meshcomply (sub)command ``words`` names; None if there is none."""
    import click

    from generator.cli import cli

    command: click.Command | None = cli
    context = click.Context(cli)
    for word in words:
        if not isinstance(command, click.Group):
            break
        command = command.get_command(context, word)
        if command is None:
            return None
    return {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}


def meshcomply_calls(script: str) -> list[tuple[list[str], set[str]]]:
    """Each `meshcomply SUB [SUB]` a shell script runs, with the options it can pass."""
    calls = []
    for match in re.finditer(r"\bmeshcomply ([a-z-]+)(?: ([a-z-]+))?", script):
        words = [w for w in match.groups() if w]
        options = command_options(words)
        if options is None and len(words) == 2:  # `meshcomply build "$@"`: one word
            options, words = command_options(words[:1]), words[:1]
        assert options is not None, f"no command meshcomply {' '.join(words)}"
        calls.append((words, options))
    return calls


def check_script(script: str) -> int:
    """Every meshcomply command of a script exists and every --option it names is one of theirs."""
    calls = meshcomply_calls(script)
    known = set().union(*(options for _, options in calls)) if calls else set()
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", script))
    assert named <= known | {"--quiet"} or not calls, (named - known, script)
    return len(calls)


def test_action_and_template_scripts_name_commands_and_options_that_exist():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    runs = [step["run"] for step in action["runs"]["steps"] if "run" in step]
    assert sum(check_script(run) for run in runs) == 3  # config check, site, build
    calls = 0
    for name in (".meshcomply", ".meshcomply-site"):
        for line in gitlab_job(name)["script"]:
            calls += check_script(line)
    assert calls == 3  # config check, build, site


def test_the_documented_pipelines_use_the_action_and_template_as_they_are():
    pipelines = doc_pipelines()
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    template = yaml.safe_load((ROOT / "ci/gitlab/meshcomply.gitlab-ci.yml").read_text())
    github = [p for p in pipelines if "jobs" in p]
    gitlab = [p for p in pipelines if "include" in p]
    assert github and gitlab
    for workflow in github:
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("OWNER/meshcomply@"):
                    assert set(step.get("with", {})) <= set(action["inputs"]), step
                if "run" in step:
                    check_script(step["run"])
    # The caches are kept by a workflow that hands the action the secret (never a literal key).
    cache_keys = [
        step["with"]["cache-key"]
        for workflow in github
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "cache-key" in step.get("with", {})
    ]
    assert cache_keys and all(
        re.fullmatch(r"\$\{\{ secrets\.\w+ \}\}", key) for key in cache_keys
    ), cache_keys
    for pipeline in gitlab:
        for name, job in pipeline.items():
            if isinstance(job, dict) and "extends" in job:
                assert job["extends"] in template, name
                variables = gitlab_job(job["extends"])["variables"]
                given = set(job.get("variables", {}))
                for entry in job.get("parallel", {}).get("matrix", []):
                    given |= set(entry)
                assert given <= set(variables), (name, given - set(variables))
    # The matrix split of the docs: a matrix job per installation, then one assembling the site.
    split = next(w for w in github if "site" in w["jobs"])
    assert split["jobs"]["site"]["needs"] == "packs"
    assert split["jobs"]["packs"]["strategy"]["matrix"]["installation"]
    assembling = [s for s in split["jobs"]["site"]["steps"] if "with" in s]
    download = next(s for s in assembling if s["uses"].startswith("actions/download-artifact"))
    site_step = next(s for s in assembling if s["uses"].startswith("OWNER/meshcomply@"))
    assert site_step["with"]["packs"] == download["with"]["path"]
    matrix_step = next(
        s for s in split["jobs"]["packs"]["steps"] if s.get("uses", "").startswith("OWNER/")
    )
    prefix = matrix_step["with"]["artifact-name"].split("$")[0]
    assert download["with"]["pattern"] == f"{prefix}*-packs"
    gl = next(p for p in gitlab if any(isinstance(j, dict) and "parallel" in j for j in p.values()))
    assert any(isinstance(j, dict) and j.get("extends") == ".meshcomply-site" for j in gl.values())
