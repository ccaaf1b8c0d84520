"""Rules, exceptions and roll-up on a small real repository read by the history reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import GitRepo

from generator.config import EnvironmentConfig, InstallationConfig, Period, ReleaseSource
from generator.evidence.codec import to_plain
from generator.evidence.context import RuleContext
from generator.evidence.deviations import deviation_id
from generator.evidence.evaluate import evaluate_library, exception_records
from generator.evidence.exceptions import load_exceptions
from generator.history import read_history
from generator.library import Control, EvidenceSpec, Implementation

PERIOD = Period.parse("2026-01-01..2026-03-31")
STAGE = "environments/staging/meshstack.yaml"
PROD = "environments/production/meshstack.yaml"
REVIEW = "docs/security/access-review.md"
PIPELINE, BOB = "Pipeline <ci@example.com>", "Bob Operator <bob@example.com>"
CAROL, MAX = "Carol Customer <carol@customer.example>", "Max Merge <max@example.com>"


def config(version: str, logging: bool = True) -> str:
    return f"meshstack:\n  version: {version}\nlogging:\n  enabled: {str(logging).lower()}\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("integration")
    r = GitRepo.create(root / "acme")
    r.commit("Initial", files={STAGE: config("2025.48.0"), PROD: config("2025.48.0"),
             REVIEW: "---\ndate: 2025-12-01\n---\n# Access review\n"},
             date="2025-12-01T10:00:00+00:00", author=BOB)  # fmt: skip
    r.commit("Stage 2026.1.0", files={STAGE: config("2026.1.0")}, author=PIPELINE,
             date="2026-01-05T08:00:00+00:00")  # fmt: skip
    r.branch("promote")
    r.commit("Promote 2026.1.0", files={PROD: config("2026.1.0")}, author=BOB,
             date="2026-01-07T10:00:00+00:00")  # fmt: skip
    r.checkout("main")
    promote = r.merge("promote", committer=MAX, date="2026-01-08T10:00:00+00:00",
                      trailers=[("Approved-by", CAROL)])  # fmt: skip
    hotfix = r.commit("Disable logging (outage)", files={PROD: config("2026.1.0", False)},
                      author=BOB, date="2026-02-01T10:00:00+00:00")  # fmt: skip
    r.branch("fix")
    r.commit("Re-enable logging", files={PROD: config("2026.1.0")}, author=BOB,
             date="2026-02-03T09:00:00+00:00")  # fmt: skip
    r.checkout("main")
    fix = r.merge("fix", committer=MAX, date="2026-02-03T10:00:00+00:00",
                  trailers=[("Approved-by", CAROL)])  # fmt: skip
    installation = InstallationConfig(
        name="acme",
        repo="./acme",
        repo_path=r.path,
        ref="main",
        environments=tuple(
            EnvironmentConfig(
                env,
                (f"environments/{env}/**",),
                ReleaseSource(file=path, key="meshstack.version"),
                "required",
            )
            for env, path in (("staging", STAGE), ("production", PROD))
        ),
    )
    history = read_history(installation, PERIOD, cache_dir=root / "cache")
    register_path = root / "exceptions.yml"
    register_path.write_text(
        f"""\
exceptions:
  - id: EXC-2026-001
    rule: change-approval
    control: MS-CHG-01
    sha: {hotfix[:8]}
    justification: Emergency change during an outage, reviewed the next morning.
    accepted_by: Jane Doe (CISO, Acme)
    ticket: SEC-1234
    expires: "2026-12-31"
  - id: EXC-2026-002
    rule: config-assertion
    window: {{from: "2026-02-01", to: "2026-02-01"}}
    justification: Logging was off during the outage; the SIEM kept the platform logs.
    accepted_by: Jane Doe (CISO, Acme)
    ticket: SEC-1235
    expires: "2026-12-31"
  - id: EXC-2025-009
    rule: change-approval
    sha: {promote}
    justification: Old acceptance.
    accepted_by: Jane Doe (CISO, Acme)
    ticket: SEC-1000
    expires: "2026-03-30"
""",
        encoding="utf-8",
    )
    register = load_exceptions(register_path, history, "exceptions.yml")
    yield history, register, {"promote": promote, "hotfix": hotfix, "fix": fix}
    history.close()


def control(control_id: str, *evidence: tuple[str, dict]) -> Control:
    return Control(
        id=control_id,
        title=control_id,
        description="",
        owner="Platform",
        responsibility="shared",
        implements=(Implementation("iso27001:2022/A.8.32", "full", "Test."),),
        evidence=tuple(EvidenceSpec(kind, params) for kind, params in evidence),
        path=f"controls/meshstack/{control_id}.yaml",
        proves="Approvals are recorded.",
        does_not_prove="That approvers read the change.",
        customer_part="Approve production changes.",
    )


CONTROLS = [
    control(
        "MS-CHG-01",
        ("approval-gate", {"role": "production"}),
        ("change-approval", {"roles": ["production"]}),
    ),
    control("MS-CHG-03", ("staging-before-production", {"min_hours": 24})),
    control(
        "MS-LOG-01",
        ("config-assertion", {"file": PROD, "key": "logging.enabled", "op": "==", "value": True}),
    ),
    control(
        "MS-ACC-02",
        ("manual", {"document": REVIEW, "owner": "Security", "max_age_days": 120}),
    ),
]


def test_verdicts_on_a_real_history(built):
    history, register, shas = built
    evaluations = {e.id: e for e in evaluate_library(CONTROLS, RuleContext(history), register)}

    gate, approval = evaluations["MS-CHG-01"].results
    assert gate.result.status == "no_deviations"
    assert gate.result.cited == (shas["promote"],)
    assert approval.result.status == "deviations"
    assert [(f.sha, f.message) for f in approval.result.failures] == [
        (shas["hotfix"], "no approver")
    ]
    assert approval.accepted == ("EXC-2026-001",)
    assert evaluations["MS-CHG-01"].status == "deviations"
    assert evaluations["MS-CHG-01"].reason.endswith(
        "1 of 1 deviation is accepted in the exceptions register (EXC-2026-001)."
    )

    assert evaluations["MS-CHG-03"].status == "no_deviations"
    assert evaluations["MS-CHG-03"].results[0].result.details["versions"][0]["staging_hours"] == 74

    (logging,) = evaluations["MS-LOG-01"].results
    (failure,) = logging.result.failures
    assert failure.window == {
        "from_sha": shas["hotfix"],
        "to_sha": shas["fix"],
        "from": "2026-02-01T10:00:00+00:00",
        "to": "2026-02-03T10:00:00+00:00",
        "hours": 48.0,
    }
    assert logging.accepted == ("EXC-2026-002",)
    assert logging.result.population == 4  # at the start, promoted, broken, fixed

    # 2026-03-31 is 120 days after 2025-12-01 (the day it was committed): exactly the maximum.
    assert evaluations["MS-ACC-02"].status == "design_only"
    assert evaluations["MS-ACC-02"].results[0].result.details["age_days"] == 120

    # What an entry matched: the deviation ids of the failures it accepted.
    (unapproved,) = approval.result.failures
    assert unapproved.sha == shas["hotfix"]
    report = to_plain(exception_records(register, list(evaluations.values())))
    assert [(r["id"], r["status"], r["matched"]) for r in report] == [
        ("EXC-2025-009", "expired", []),
        ("EXC-2026-001", "active", [failure_id(unapproved)]),
        ("EXC-2026-002", "active", [failure_id(failure)]),
    ]


def failure_id(failure) -> str:
    return deviation_id(failure.kind, failure.sha, failure.items, failure.window)


def test_an_exception_citing_a_missing_commit_is_an_input_error(built, tmp_path: Path):
    from generator.errors import InputError

    history, _, _ = built
    path = tmp_path / "exceptions.yml"
    path.write_text(
        "exceptions:\n  - id: X\n    rule: manual\n    sha: 0123456789abcdef\n"
        "    justification: j\n    accepted_by: a\n    ticket: t\n    expires: '2026-12-31'\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_exceptions(path, history, "exceptions.yml")
    assert [str(p) for p in caught.value.problems] == [
        "exceptions.yml:4:10: commit 0123456789abcdef does not exist in ./acme"
    ]
