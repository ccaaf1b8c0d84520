"""What a person reads in the demo's PDF and portal (issue #13, on the page): words, not the
model's raw values; times in UTC; each open deviation with its corrective action where it shows."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from test_demo_support import git_env, shared_build, shared_demo
from test_pdf_support import outline, page_texts, squeeze

from generator.evidence.documents import Result
from generator.evidence.findings import NO_ACTION, STATE_LABELS


@pytest.fixture(scope="module")
def built() -> tuple[Path, list[Path]]:
    return shared_build()


def _model(pack: Path) -> dict[str, Any]:
    return json.loads((pack / "evidence.json").read_text(encoding="utf-8"))


def _site_pack(out: Path, pack: Path) -> Path:
    installation, period = pack.parts[-2:]
    return out / "site" / installation / period


def _html_text(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _control_texts(reader: PdfReader, ids: set[str]) -> dict[str, str]:
    """Each control's PDF pages as one text: from its bookmark to the next bookmark's page."""
    marks = [(page, title) for _, title, page in outline(reader)]
    texts = page_texts(reader)
    found = {}
    for (page, title), (following, _) in zip(marks, [*marks[1:], (len(texts), "")], strict=True):
        control_id = title.split(" ", 1)[0]
        if control_id in ids:
            found[control_id] = " ".join(texts[page : max(following, page + 1)])
    return found


def test_the_cover_states_the_cut_off_in_utc_words(built):
    _, packs = built
    for pack in packs:
        model = _model(pack)
        (note,) = model["cut_off"]["notes"]  # the demo's period ends after its newest commit
        cover = page_texts(PdfReader(pack / "evidence-pack.pdf"))[0]
        assert squeeze(note) in squeeze(cover)
        newest = model["cut_off"]["newest_commit"]  # ISO 8601, as git wrote it
        assert newest not in cover and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", cover)
        words = re.search(r"newest commit of main \((\d{4}-\d\d-\d\d \d\d:\d\d UTC),", note)
        assert words, note


def test_document_results_are_shown_in_words_never_as_the_model_writes_them(built):
    out, packs = built
    labels_seen = set()
    for pack in packs:
        pdf = " ".join(page_texts(PdfReader(pack / "evidence-pack.pdf")))
        pages = [p for p in _site_pack(out, pack).rglob("*.html") if "downloads" not in p.parts]
        portal = " ".join(_html_text(p) for p in pages)
        for text in (pdf, portal):
            assert "pass_with_findings" not in text
            assert not re.search(r"records the result '(pass|fail)", text)
        results = {d["result"] for d in _model(pack)["documents"] if d.get("result")}
        for result in results:
            label = Result(result).label
            assert squeeze(label) in squeeze(pdf) and label in portal, result
            labels_seen.add(label)
    # The demo records every kind of result: all three labels were looked for.
    assert labels_seen == {r.label for r in Result}


def _action_words(action: dict[str, Any] | None) -> list[str]:
    if action is None:
        return [NO_ACTION]
    return [
        action["action"],
        action["root_cause"],
        action["owner"],
        f"{action['due']} · {STATE_LABELS[action['state']]}",
    ]


def test_control_pages_show_each_open_deviation_with_its_corrective_action(built):
    out, packs = built
    shown = {"with": 0, "without": 0}
    for pack in packs:
        model = _model(pack)
        actions = {a["deviation"]: a for a in model["corrective_actions"]}
        ids = {c["id"] for c in model["controls"]}
        pdf = _control_texts(PdfReader(pack / "evidence-pack.pdf"), ids)
        site = _site_pack(out, pack)
        for control in model["controls"]:
            portal_page = site / "controls" / f"{control['id'].lower()}.html"
            portal = re.sub(r"\s+", " ", _html_text(portal_page))
            on_page = squeeze(pdf[control["id"]])
            without = 0
            for result in control["results"]:
                for failure in result["failures"]:
                    if failure["exception"]:
                        continue  # accepted in the exceptions register: no action is asked
                    action = actions.get(failure["id"])
                    shown["with" if action else "without"] += 1
                    without += action is None
                    for words in _action_words(action):
                        assert squeeze(words) in on_page, (control["id"], words)
                        assert re.sub(r"\s+", " ", words) in portal, (control["id"], words)
            # Once per open deviation without an action, and never for any other.
            assert on_page.count(squeeze(NO_ACTION)) == without, control["id"]
            assert portal.count(NO_ACTION) == without, control["id"]
    # The demo has open deviations with a corrective action and ones without.
    assert shown["with"] and shown["without"], shown


def _section_text(reader: PdfReader, title: str) -> str:
    """The text of a top-level section's pages (from its bookmark to the next one's page)."""
    marks = [(page, name) for level, name, page in outline(reader) if level == 1]
    texts = page_texts(reader)
    start = next(page for page, name in marks if name == title)
    end = min((page for page, _ in marks if page > start), default=len(texts))
    return "\n".join(texts[start:end])


def test_references_never_break_inside_themselves_in_the_pdf_soa(built):
    _, packs = built
    for pack in packs:
        rows = _model(pack)["soa"]
        text = _section_text(PdfReader(pack / "evidence-pack.pdf"), "Statement of Applicability")
        listed: dict[str, int] = {}
        for row in rows:
            for ref in row["refs_2013"]:
                listed[ref.split("/", 1)[-1]] = listed.get(ref.split("/", 1)[-1], 0) + 1
        assert len(listed) > 50  # the demo's SoA lists most 2013 controls
        for ref, times in listed.items():
            whole = re.findall(rf"(?<![\w.]){re.escape(ref)}(?![\w])", text)
            assert len(whole) >= times, (ref, times, len(whole))


def test_deviation_kinds_break_only_after_an_underscore_in_the_pdf(built):
    _, packs = built
    for pack in packs:
        kinds = {d["kind"] for d in _model(pack)["deviations"]}
        reader = PdfReader(pack / "evidence-pack.pdf")
        text = _section_text(reader, "Executive summary")
        for kind in kinds:
            assert squeeze(kind) in squeeze(text), kind
            for cut in range(1, len(kind)):
                if kind[cut - 1] != "_":  # a break after an underscore is the allowed one
                    assert f"{kind[:cut]}\n{kind[cut:]}" not in text, kind


def test_emails_break_only_before_the_at_sign_in_the_pdf_change_population(built):
    _, packs = built
    for pack in packs:
        model = _model(pack)
        emails = {c["author"]["email"] for c in model["changes"]}
        text = _section_text(PdfReader(pack / "evidence-pack.pdf"), "Change population")
        assert emails
        for email in emails:
            at = email.index("@")
            for cut in range(1, len(email)):
                if cut != at:  # the break before the @ is the one allowed
                    assert f"{email[:cut]}\n{email[cut:]}" not in text, email


def test_every_cited_register_entry_names_the_file_and_line_it_is_written_on(built):
    """An auditor traces each register entry the pack cites to its source: beside a control and
    on the register pages (PDF and portal) it reads FILE:LINE, and that line of the register
    file starts the entry (read here with plain text, not the register's reader)."""
    out, packs = built
    cited = 0
    for pack in packs:
        model = _model(pack)
        files = {f["kind"]: f["path"] for f in model["inputs"]["files"]}
        entries = [("exceptions", e["id"], e["line"], e) for e in model["exceptions"]]
        entries += [("findings", a["deviation"], a["line"], a) for a in model["corrective_actions"]]
        pdf = squeeze(" ".join(page_texts(PdfReader(pack / "evidence-pack.pdf"))))
        site = _site_pack(out, pack)
        register_pages = {
            "exceptions": _html_text(site / "exceptions.html"),
            "findings": _html_text(site / "corrective-actions.html"),
        }
        for kind, ident, line, _ in entries:
            text = (shared_demo().example / files[kind]).read_text(encoding="utf-8")
            first = "id" if kind == "exceptions" else "deviation"
            written = text.splitlines()[line - 1].split("#")[0].strip()  # without a comment
            assert written == f"- {first}: {ident}", (kind, ident)
            source = f"{files[kind]}:{line}"
            assert squeeze(source) in pdf, source
            assert source in register_pages[kind], source
            cited += 1
        for control in model["controls"]:
            page = _html_text(site / "controls" / f"{control['id'].lower()}.html")
            on_page = " ".join(page.split())
            for result in control["results"]:
                for failure in result["failures"]:
                    if failure["exception"]:
                        (entry,) = [e for k, i, _, e in entries if i == failure["exception"]]
                        where = f"exceptions register entry {files['exceptions']}:{entry['line']}"
                        assert where in on_page, (control["id"], where)
    assert cited >= 4  # the demo's registers: two exceptions, two corrective actions at least


def test_population_definitions_name_the_shared_scopes_paths_pdf_and_portal(built):
    out, packs = built
    for pack in packs:
        model = _model(pack)
        shared = [g for g in model["reconciliation"]["groups"] if g["kind"] == "shared"]
        texts = page_texts(PdfReader(pack / "evidence-pack.pdf"))
        methodology = squeeze(next(t for t in texts if "Re-performing the figures" in t))
        portal = squeeze(_html_text(_site_pack(out, pack) / "methodology.html"))
        for group in shared:
            for path in group["paths"]:
                assert squeeze(path) in methodology and squeeze(path) in portal, path
            assert squeeze(f"shared scope {group['name']}:") in portal
        several = sum(1 for c in model["changes"] if len(c["environments"]) > 1)
        summary = squeeze(next(t for t in texts if "Changes in the period" in t))
        if several:
            assert squeeze(f"{several} of them counted on more than one environment") in summary
        assert "(reviewortrailer)" not in portal
    assert any(
        g["kind"] == "shared" for p in packs for g in _model(p)["reconciliation"]["groups"]
    ), "the demo has a shared scope to show"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_commands_copied_out_of_the_pdf_run_in_bash_and_print_the_expected_values(built):
    # as an auditor copies them: pdftotext -layout, each command to its last line without " \"
    _, packs = built
    folder = shared_demo().config.parent  # the commands' paths are relative to meshcomply.yml
    for pack in packs:
        text = subprocess.run(
            ["pdftotext", "-layout", str(pack / "evidence-pack.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines, ran = text.splitlines(), 0
        for index, line in enumerate(lines):
            found = re.match(r"^\s*(.+): expected (\S+)$", line)
            if not found or not re.match(r"^\s*(git|comm) ", lines[index + 1]):
                continue
            command = [lines[index + 1]]
            while command[-1].endswith("\\"):
                command.append(lines[index + len(command) + 1])
            printed = subprocess.run(
                ["bash", "-c", "\n".join(command)],
                cwd=folder,
                capture_output=True,
                text=True,
                env=git_env(),
                check=True,
            ).stdout.strip()
            assert printed == found.group(2), found.group(1)
            ran += 1
        model = _model(pack)
        groups = len(model["reconciliation"]["groups"])
        assert ran == len(model["source"]["reproduce"]) + 1 + groups


def test_documents_show_where_they_were_read_what_they_state_and_who_wrote_them(built):
    out, packs = built
    for pack in packs:
        model = _model(pack)
        reader = PdfReader(pack / "evidence-pack.pdf")
        documents = [d for d in model["documents"] if not d["problems"]]
        folder = [d for d in documents if d["source"] == "evidence folder"]
        versioned = [d for d in documents if d["source"] == "repository"]
        assert folder and versioned, "the demo reads documents from both places"
        controls = {c for d in documents for c in d["controls"]}
        pdf_pages = _control_texts(reader, controls)
        for document in documents:
            for control in document["controls"]:
                pdf = squeeze(pdf_pages[control])
                page = _site_pack(out, pack) / "controls" / f"{control.lower()}.html"
                portal = squeeze(_html_text(page))
                for text in (pdf, portal):
                    assert squeeze(document["sha256"]) in text, (control, document["path"])
                    for name in (*document["performed_by"], *document["approved_by"]):
                        assert squeeze(f"{name}") in text
                    if document["source"] == "repository":
                        author = document["author"]
                        assert squeeze(f"author: {author['name']} <{author['email']}>") in text
                        assert squeeze(f"read at commit {document['commit'][:12]}") in text
                    else:  # the full path of the file read, and that it has no history
                        full = next(
                            f["path"]
                            for f in model["inputs"]["files"]
                            if f["kind"] == "document" and f["sha256"] == document["sha256"]
                        )
                        assert squeeze(f"the evidence folder, {full}") in text
                        assert squeeze("not under version control, no history") in text
        # a passing self-declared document is no test result: MS-SUP-01 reads one
        supplier = next(c for c in model["controls"] if c["id"] == "MS-SUP-01")
        assert supplier["status"] == "design_only"
        assert "self-declared" in supplier["reason"]
