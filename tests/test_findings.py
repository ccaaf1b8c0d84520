"""The findings register: corrective actions for open deviations, loaded with located errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from test_pdf_support import small_model
from test_pdf_support import write_pack as pdf_write_pack
from test_portal_support import build as portal_build
from test_portal_support import write_pack as portal_write_pack

from generator.errors import InputError
from generator.evidence.findings import (
    FindingsRegister,
    actions_view,
    as_of,
    corrective_action_records,
    load_findings,
)
from generator.evidence.model import InputFile
from generator.render import pdf as pdf_renderer
from generator.render.pdf import html as pdf_html
from generator.render.registry import RenderOptions
from generator.testing import synthetic_evidence

GOOD = """\
findings:
  - deviation: DEV-0123456789ab
    root_cause: The release bot merged before the customer approved.
    action: Branch protection requires the customer group's approval.
    owner: meshcloud Platform Operations
    due: 2026-08-31
    state: in_progress
    ticket: OPS-1234
  - deviation: DEV-fedcba987654
    root_cause: An operator pushed directly to main during an incident.
    action: Direct pushes to main are blocked; the incident runbook says how to merge instead.
    owner: Jonas Weber
    due: "2026-07-15"
    state: done
"""


def load(tmp_path, text: str) -> FindingsRegister:
    path = tmp_path / "findings.yml"
    path.write_text(text, encoding="utf-8")
    return load_findings(path, "findings.yml")


def problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(tmp_path, text)
    return [str(p) for p in caught.value.problems]


def test_a_valid_register_is_read_into_typed_entries(tmp_path):
    register = load(tmp_path, GOOD)
    first, second = register.entries
    assert (first.deviation, first.owner, first.due, first.state, first.ticket, first.line) == (
        "DEV-0123456789ab",
        "meshcloud Platform Operations",
        dt.date(2026, 8, 31),
        "in_progress",
        "OPS-1234",
        2,
    )
    assert second.ticket is None and second.due == dt.date(2026, 7, 15)
    assert register.for_deviation("DEV-fedcba987654") is second
    assert register.for_deviation("DEV-000000000000") is None


def test_overdue_means_not_done_and_due_before_the_day(tmp_path):
    first, second = load(tmp_path, GOOD).entries
    assert not first.overdue(dt.date(2026, 8, 31))  # due by the end of its day
    assert first.overdue(dt.date(2026, 9, 1))
    assert not second.overdue(dt.date(2027, 1, 1))  # done is never overdue


def test_every_problem_of_the_file_is_located_at_once(tmp_path):
    text = GOOD.replace("DEV-0123456789ab", "DEV-12345").replace("state: done", "state: closed")
    text = text.replace("due: 2026-08-31", "due: 2026-02-30").replace("Jonas Weber", "' '")
    text += "  - deviation: DEV-fedcba987654\n    root_cause: x\n    action: y\n    owner: z\n"
    text += "    due: 2026-07-01\n    state: open\n"
    assert problems(tmp_path, text) == [
        "findings.yml:2:16: findings[0].deviation: 'DEV-12345' is not valid (the deviation's id "
        "as the pack lists it, e.g. DEV-3f9a1c2b7d4e)",
        "findings.yml:6:10: 2026-02-30 is not a calendar date",
        "findings.yml:12:12: findings[1].owner: ' ' is not valid (who is accountable for the "
        "action; must not be blank)",
        "findings.yml:14:12: findings[1].state: 'closed' is not one of: open, in_progress, done",
        "findings.yml:15:16: deviation DEV-fedcba987654 has a corrective action already (line "
        "9): one entry per deviation",
    ]


def test_an_empty_register_says_what_to_write(tmp_path):
    assert problems(tmp_path, "") == [
        "findings.yml:1:1: the register is empty: write 'findings: []'"
    ]
    assert load(tmp_path, "findings: []\n").entries == ()


def test_records_say_whether_an_entry_matched_and_is_overdue(tmp_path):
    register = load(tmp_path, GOOD)
    records = corrective_action_records(register, {"DEV-0123456789ab"}, dt.date(2026, 9, 1))
    assert [(r.deviation, r.matched, r.overdue, r.due, r.line) for r in records] == [
        ("DEV-0123456789ab", True, True, "2026-08-31", 2),
        ("DEV-fedcba987654", False, False, "2026-07-15", 9),
    ]
    assert as_of("2026-09-15T10:00:00+00:00", "2026-06-30") == dt.date(2026, 9, 15)
    assert as_of(None, "2026-06-30") == dt.date(2026, 6, 30)


def test_the_view_pairs_each_open_deviation_with_its_action_or_none(tmp_path):
    model = small_model()
    open_ids = [d.id for d in model.deviations if d.state == "open"]
    accepted = [d.id for d in model.deviations if d.state != "open"]
    assert open_ids and accepted, "the synthetic model has open and accepted deviations"
    text = GOOD.replace("DEV-0123456789ab", open_ids[0]).replace("DEV-fedcba987654", accepted[0])
    text += (
        "  - deviation: DEV-000000000000\n    root_cause: r\n    action: a\n    owner: o\n"
        '    due: "2026-01-31"\n    state: open\n'
    )
    ids = {d.id for d in model.deviations}
    records = corrective_action_records(load(tmp_path, text), ids, dt.date(2026, 6, 30))
    view = actions_view(replace(model, corrective_actions=records))
    assert [(d.id, a.deviation if a else None) for d, a in view.open] == [
        (d, d if d == open_ids[0] else None) for d in open_ids
    ]
    assert view.missing == len(open_ids) - 1 and view.overdue == 0
    assert [(a.deviation, why) for a, why in view.other] == [
        (accepted[0], "its deviation is accepted in the exceptions register"),
        ("DEV-000000000000", "no deviation of this pack has this id"),
    ]
    assert view.as_of == "2026-06-30" and "no build date is recorded" in view.as_of_basis


def with_actions(tmp_path, model):
    """The model with an overdue action for its first open deviation, none for the others."""
    first = next(d.id for d in model.deviations if d.state == "open")
    text = GOOD.split("  - deviation: DEV-fedcba987654")[0].replace("DEV-0123456789ab", first)
    text = text.replace("due: 2026-08-31", 'due: "2026-03-31"')
    ids = {d.id for d in model.deviations}
    records = corrective_action_records(load(tmp_path, text), ids, dt.date(2026, 6, 30))
    return replace(model, corrective_actions=records), first


def test_pdf_and_portal_show_each_open_deviation_with_its_action_or_none(tmp_path):
    model, first = with_actions(tmp_path, synthetic_evidence("acme", changes=40, controls=20))
    others = [d.id for d in model.deviations if d.state == "open" and d.id != first]
    assert len(others) == 2
    pack = pdf_write_pack(tmp_path / "pdf", model)
    context, _ = pdf_renderer.document_context(model, pack, RenderOptions())
    environment = pdf_html.environment()
    summary = environment.get_template("sections/summary.html.j2").render(context)
    section = environment.get_template("sections/corrective_actions.html.j2").render(context)
    assert summary.count("no corrective action recorded") == len(others) + 1  # + the count
    assert "1 overdue" in summary
    assert section.count("no corrective action recorded") == len(others)
    assert "The release bot merged before the customer approved." in section
    assert '<span class="flag">overdue</span>' in section
    # The register's entries are shown as its words: a planned action, not verified.
    words = " ".join(section.split())
    assert "Planned action, as the register words it:" in words
    assert "not verified by meshcomply" in words
    assert "No findings register was provided" not in words
    named = replace(model, inputs=replace(model.inputs, files=(
        *model.inputs.files, InputFile("findings", "acme-findings.yml", "0" * 64, 1))))  # fmt: skip
    context, _ = pdf_renderer.document_context(named, pack, RenderOptions())
    section = environment.get_template("sections/corrective_actions.html.j2").render(context)
    # The register's path and entries break inside their cell (html._token), never over it.
    assert (
        'findings register <span class="mono"><span class="nobreak">acme-findings.yml</span></span>'
        in section
    )
    # Each entry is cited where it is written, so an auditor can trace it to the register.
    assert (
        'Register entry:</span> <span class="mono small"><span class="nobreak">'
        "acme-findings.yml:2</span></span>" in section
    )
    cited = [f for c in context["controls"] for r in c["results"] for f in r["failures"]]
    assert {f["action_at"] for f in cited if f["action"]} == {"acme-findings.yml:2"}
    lines = environment.get_template("macros.html.j2").module.action_lines(
        named.corrective_actions[0], "acme-findings.yml:2"
    )
    assert (
        'Planned corrective action (findings register entry <span class="mono"><span '
        'class="nobreak">acme-findings.yml:2</span></span>, in progress, overdue):' in lines
    )
    lines = environment.get_template("macros.html.j2").module.action_lines(
        named.corrective_actions[0]
    )
    assert "Planned corrective action (findings register, in progress, overdue):" in lines
    none = replace(model, corrective_actions=())
    context, _ = pdf_renderer.document_context(none, pack, RenderOptions())
    section = environment.get_template("sections/corrective_actions.html.j2").render(context)
    words = " ".join(section.split())
    assert "No findings register was provided for this installation" in words
    assert "the findings register" not in words

    site = portal_build(tmp_path / "portal", [portal_write_pack(tmp_path / "portal", model)])
    page = next(site.rglob("corrective-actions.html")).read_text(encoding="utf-8")
    assert page.count("no corrective action recorded") == len(others)
    assert "meshcloud Platform Operations" in page and ">overdue<" in page
    index = (next(site.rglob("corrective-actions.html")).parent / "index.html").read_text()
    assert index.count(">no corrective action recorded<") == len(others)
    assert "Planned action, as the register words it:" in page
    assert "acme-findings.yml:2" not in page  # this model's inputs name no register file
    site = portal_build(tmp_path / "named", [portal_write_pack(tmp_path / "named", named)])
    page = next(site.rglob("corrective-actions.html")).read_text(encoding="utf-8")
    assert (
        '<span class="mc-muted">Register entry:</span> <code class="mc-break">acme-findings.yml:2'
        in page
    )
    control = next(p for p in site.rglob("*.html") if f"{first}</code>" in p.read_text()
                   and "corrective-actions" not in p.name and p.name != "index.html")  # fmt: skip
    assert 'findings register entry <code class="mc-break">acme-findings.yml:2</code>, in' in (
        control.read_text(encoding="utf-8")
    )
    site = portal_build(tmp_path / "bare", [portal_write_pack(tmp_path / "bare", none)])
    page = next(site.rglob("corrective-actions.html")).read_text(encoding="utf-8")
    assert "No findings register was provided for this installation" in page
