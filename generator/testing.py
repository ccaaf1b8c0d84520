"""Synthetic evidence models for renderer tests and benchmarks.

Renderers read only the evidence model; these are built from its records (evidence/model.py)
so a renderer can be exercised at any size, or with hostile repository text, without git.
Deterministic: the same arguments give the same model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import yaml

from generator.evidence.deviations import deviation_counts, deviation_records
from generator.evidence.evaluate import failure_record
from generator.evidence.model import (
    SCHEMA_VERSION,
    ApprovalRecord,
    ChangeRecord,
    ControlRecord,
    CutOffRecord,
    EnvironmentRecord,
    EventLogSection,
    EventPopulation,
    EventRecord,
    EvidenceModel,
    FileChange,
    Identity,
    Implementation,
    InputFile,
    InputsRecord,
    MeshEventRecord,
    PeriodRange,
    PromotionRecord,
    ReconciliationRecord,
    ReleaseRecord,
    ReproduceStep,
    ResultRecord,
    Sample,
    SampleAttribute,
    SampleBand,
    SamplePopulation,
    ScopeGroupRecord,
    SoaRow,
    SourceRecord,
    Tool,
)
from generator.evidence.registry import Failure
from generator.resources import data_dir
from generator.status import Status

HOSTILE_TEXTS = (
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(1)">',
    "[click me](javascript:alert(1))",
    "![pixel](http://attacker.example/p.png)",
    '--8<-- "/etc/passwd"',
    '!!! danger "admonition injection"',
    '{: onclick="alert(1)" }',
    "\u202egnp.exe\u202c right-to-left override",
    '<img src="file:///etc/passwd"> <link href="http://attacker.example/x.css">',
    "<style>body{background:url(http://attacker.example/bg)}</style>",
    "`code` **bold** | pipe | table",
    "a" * 600,
)

_CATALOGS = data_dir("controls") / "catalogs"  # the source tree or the installed package
_STATUSES = (
    Status.NO_DEVIATIONS,
    Status.NO_DEVIATIONS,
    Status.DESIGN_ONLY,
    Status.DEVIATIONS,
    Status.NOT_TESTED,
)


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()


def _person(rng: random.Random, hostile: bool) -> Identity:
    names = ["Ada Operator", "Bob Builder", "Chen Wei", "Dana Approver", "Émile Zoë"]
    name = rng.choice(names)
    if hostile and rng.random() < 0.3:
        name = rng.choice(HOSTILE_TEXTS)[:80]
    email = name.lower().replace(" ", ".")[:40] + "@example.com"
    return Identity(name, email)


def _soa_rows(rng: random.Random, control_ids: list[str]) -> tuple[SoaRow, ...]:
    rows = []
    for file_name in ("iso27001-2022.yaml", "iso27017-2015.yaml"):
        catalog = yaml.safe_load((_CATALOGS / file_name).read_text("utf-8"))
        for entry in catalog["entries"]:
            if entry["kind"] == "clause":
                continue
            decision = rng.choice(("implemented", "implemented", "inherited", "excluded"))
            implemented = sorted(rng.sample(control_ids, 2)) if decision == "implemented" else []
            rows.append(
                SoaRow(
                    ref=f"{catalog['standard']}/{entry['id']}",
                    title=entry["title"],
                    theme=entry.get("theme", "cloud"),
                    applicable=decision != "excluded",
                    decision=decision,
                    justification=f"Synthetic justification for {entry['id']}.",
                    implemented_by=tuple(implemented),
                    responsibility=rng.choice(("provider", "customer", "shared")),
                    coverage=rng.choice(("full", "partial")) if implemented else None,
                    status=rng.choice(_STATUSES) if implemented else None,
                    last_evidence="2026-06-20" if implemented else None,
                    refs_2013=(),
                )
            )
    return tuple(rows)


def _event_log(installation: str, hostile: bool) -> EventLogSection:
    """A small meshStack event log section; with ``hostile``, event text from HOSTILE_TEXTS."""
    events = tuple(
        MeshEventRecord(
            uuid=f"00000000-0000-4000-8000-{index:012d}",
            created_at=f"2026-02-{index + 1:02d}T10:00:00Z",
            title=HOSTILE_TEXTS[index % len(HOSTILE_TEXTS)]
            if hostile
            else "Workspace User Role Added",
            event_type="Added",
            author_type="User",
            author=HOSTILE_TEXTS[(index + 1) % len(HOSTILE_TEXTS)][:60] if hostile else "u1",
            workspace=f"{installation}-payments",
            description=HOSTILE_TEXTS[(index + 2) % len(HOSTILE_TEXTS)] if hostile else "Granted.",
        )
        for index in range(6)
    )
    uuids = tuple(e.uuid for e in events)
    return EventLogSection(
        export=f"{installation}_2026-01-01_2026-06-30.events.json",
        sha256="0" * 64,
        url=f"https://meshstack.{installation}.example/api/meshobjects/mesheventlogs",
        collected_at="2026-07-01T06:00:00Z",
        count=len(events),
        complete=True,
        gaps=(),
        reproduce=f"GET https://meshstack.{installation}.example/api/meshobjects/mesheventlogs",
        method="synthetic",
        populations=(
            EventPopulation("access-four-eyes", {}, ("MS-ACC-03",), 6, 3, uuids, uuids[:3]),
        ),
        events=events,
    )


def synthetic_evidence(
    installation: str = "acme",
    *,
    changes: int = 60,
    controls: int = 32,
    hostile: bool = False,
    seed: int = 0,
    period: tuple[str, str] = ("2026-01-01", "2026-06-30"),
) -> EvidenceModel:
    """An evidence model with the given number of changes and controls."""
    rng = random.Random(f"{installation}:{seed}")
    start = dt.datetime.fromisoformat(period[0] + "T00:00:00+00:00")
    span = (dt.date.fromisoformat(period[1]) - dt.date.fromisoformat(period[0])).days + 1
    change_list = []
    for index in range(changes):
        when = start + dt.timedelta(seconds=int(span * 86400 * index / max(changes, 1)))
        env = rng.choice((("staging",), ("production",), ("staging", "production")))
        subject = f"Change {index}: update {rng.choice(['logging', 'backup', 'idp', 'release'])}"
        if hostile:
            subject = HOSTILE_TEXTS[index % len(HOSTILE_TEXTS)]
        author = _person(rng, hostile)
        approvers = () if rng.random() < 0.05 else (_person(rng, hostile),)
        change_list.append(
            ChangeRecord(
                sha=_sha(installation, "change", index),
                parents=(_sha(installation, "change", index - 1),),
                environments=env,
                author=author,
                authored_at=when.isoformat(),
                committer=author,
                committed_at=when.isoformat(),
                subject=subject,
                body=HOSTILE_TEXTS[(index + 3) % len(HOSTILE_TEXTS)] if hostile else "",
                files=(FileChange("M", f"environments/{env[0]}/meshstack.yaml", None),),
                approvers=approvers,
                approvals=tuple(ApprovalRecord(a, "trailer", None) for a in approvers),
                authors=(author,),
                self_approved=bool(approvers) and approvers[0] == author,
                signed=rng.random() > 0.02,
                signature="ssh",
                verified=None,
                signer=None,
                signing_key=None,
                releases={},
            )
        )
    releases, promotions = [], []
    for week in range(span // 7):
        version = f"{period[0][:4]}.{week + 1}.0"
        staged = start + dt.timedelta(days=7 * week, hours=9)
        produced = staged + dt.timedelta(days=rng.randint(2, 6))
        staging = EventRecord(_sha(installation, "stage", week), staged.isoformat())
        production = EventRecord(_sha(installation, "prod", week), produced.isoformat())
        for environment, event in (("staging", staging), ("production", production)):
            releases.append(
                ReleaseRecord(version, environment, event.sha, event.date, "file", True)
            )
        promotions.append(
            PromotionRecord(
                version=version,
                staging=staging,
                production=production,
                staging_hours=(produced - staged).total_seconds() / 3600,
                production_approvers=(_person(rng, hostile),),
            )
        )
    control_ids = [
        f"MS-{family}-{n:02d}"
        for n in range(1, 5)
        for family in ("CHG", "CFG", "LOG", "IAM", "BCK", "ACC", "OPS", "GOV")
    ][:controls]
    control_ids.sort()
    control_list = []
    for control_id in control_ids:
        status = rng.choice(_STATUSES)
        failed = rng.randint(1, 3) if status == Status.DEVIATIONS else 0
        cited = tuple(c.sha for c in change_list[:5])
        shas = [cited[i % len(cited)] if cited else None for i in range(failed)]
        failures = tuple(
            failure_record(Failure("no approver", sha, kind="unapproved"), None)
            for sha in dict.fromkeys(shas)
        )
        failed = len(failures)
        if status == Status.DEVIATIONS and not failures:
            status = Status.NOT_TESTED  # a rule never reports deviations without one
        result = ResultRecord(
            rule="change-approval",
            params={"roles": ["production"]},
            status=status,
            reason=f"{failed} of {changes} changes failed.",
            figures={"population": changes, "passed": changes - failed, "failed": failed},
            cited=cited,
            failures=failures,
            details={},
            last_evidence="2026-06-20",
            documents=(),
        )
        responsibility = rng.choice(("provider", "customer", "shared"))
        control_list.append(
            ControlRecord(
                id=control_id,
                title=f"Synthetic control {control_id}",
                description="A control used to exercise renderers.",
                owner="meshcloud Platform Operations",
                responsibility=responsibility,
                customer_part=(
                    None
                    if responsibility == "provider"
                    else "Approve production changes <b>deliberately</b> & on time."
                    if hostile
                    else "Approve production changes deliberately."
                ),
                implements=(Implementation("iso27001:2022/A.8.32", "full", "Synthetic."),),
                proves="Whether every synthetic change carries a recorded approval.",
                does_not_prove="That the approver read the change.",
                status=status,
                deviations=deviation_counts(failures),
                reason=result.reason,
                results=(result,),
                last_evidence="2026-06-20",
            )
        )
    envs = {e for c in change_list for e in c.environments}
    population = {env: sum(env in c.environments for c in change_list) for env in sorted(envs)}
    sample_size = min(25, changes)
    return EvidenceModel(
        schema_version=SCHEMA_VERSION,
        tool=Tool("meshcomply", "0.0.0+synthetic"),
        installation=installation,
        period=PeriodRange(period[0], period[1]),
        source=SourceRecord(
            repo=f"example/{installation}-config",
            ref="main",
            head=_sha(installation, "head"),
            head_date=f"{period[1]}T17:00:00+00:00",
            history_rewritten=False,
            warnings=(),
            reproduce=tuple(
                ReproduceStep(
                    figure=f"population: {env}",
                    command=f"git -C example/{installation}-config log --first-parent "
                    f"--since=... -- environments/{env}/ | wc -l",
                    expected=str(count),
                )
                for env, count in population.items()
            ),
        ),
        cut_off=CutOffRecord(
            built_at=None,
            evaluated_to=period[1],
            newest_commit=f"{period[1]}T17:00:00+00:00",
            notes=(),
        ),
        environments=tuple(
            EnvironmentRecord(
                name=env,
                role=env,  # the synthetic environments are named after their roles
                paths=(f"environments/{env}/**",),
                approval="required" if env == "production" else "optional",
                population=count,
            )
            for env, count in population.items()
        ),
        reconciliation=_reconciliation(installation, change_list),
        changes=tuple(change_list),
        releases=tuple(releases),
        promotions=tuple(promotions),
        controls=tuple(control_list),
        deviations=deviation_records(control_list),
        documents=(),
        exceptions=(),
        soa=_soa_rows(rng, control_ids),
        sample=Sample(
            seed=f"{installation}:{period[0]}..{period[1]}",
            seed_by=None,
            seed_basis="synthetic: the default seed, chosen by the audited party",
            method="synthetic",
            table=(SampleBand(None, 25),),
            table_basis="synthetic",
            populations=(
                SamplePopulation(
                    environment="production",
                    population=changes,
                    size=sample_size,
                    whole=sample_size == changes,
                    attributes=(
                        SampleAttribute("approval", "An approver is recorded.", ("MS-CHG-01",)),
                    ),
                    shas=tuple(c.sha for c in change_list[:sample_size]),
                    tested="synthetic: every change tested for approval",
                ),
            ),
        ),
        changes_since=None,
        inputs=InputsRecord(
            library="built-in",
            files=(
                InputFile("config", "meshcomply.yml", hashlib.sha256(b"synthetic").hexdigest(), 9),
            ),
        ),
        corrective_actions=(),
        event_log=None,
    )


def _reconciliation(installation: str, changes: list[ChangeRecord]) -> ReconciliationRecord:
    """Every synthetic commit changed an environment: the whole period in one group."""
    where = f"git -C example/{installation}-config log --first-parent --format=%H --since=..."
    return ReconciliationRecord(
        commits=len(changes),
        command=f"{where} | wc -l",
        groups=(
            ScopeGroupRecord(
                kind="environments",
                name="",
                paths=tuple(
                    sorted({f"environments/{e}/**" for c in changes for e in c.environments})
                ),
                reaches=tuple(sorted({e for c in changes for e in c.environments})),
                justification="",
                commits=len(changes),
                command=f"{where} -- ':(glob)environments/**' | wc -l",
                shas=(),
            ),
        ),
    )
