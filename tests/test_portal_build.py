"""The portal site: its pages, links, downloads, determinism, atomic output and options."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_portal_support import build, fleet, pages, tree_digest, write_pack

from generator.errors import BuildError
from generator.evidence.changes_since import compare
from generator.render.portal import RENDERER, render
from generator.render.portal.views import CHANGES_PER_PAGE
from generator.render.registry import RenderOptions, all_renderers
from generator.testing import synthetic_evidence
from generator.testing_json import as_json, from_json


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portal")
    return build(root, fleet(root, hostile=False))


def test_registered_as_site_renderer() -> None:
    assert all_renderers()["html"] is RENDERER
    assert RENDERER.scope == "site"


def test_every_page_of_every_pack(site: Path) -> None:
    acme = site / "acme" / "2026-01-01_2026-06-30"
    for name in (
        "index.html",
        "soa.html",
        "controls/index.html",
        "changes/index.html",
        "changes/page-002.html",
        "changes/page-003.html",
        "releases.html",
        "sample.html",
        "exceptions.html",
        "since.html",
        "methodology.html",
        "controls/ms-chg-01.html",
    ):
        assert (acme / name).is_file(), name
    assert not (acme / "changes" / "page-004.html").exists()  # 1100 changes: 3 pages of 500
    assert CHANGES_PER_PAGE == 500
    assert len(list((acme / "controls").glob("ms-*.html"))) == 32
    assert (site / "acme" / "2025-07-01_2025-12-31" / "soa.html").is_file()
    assert (site / "globex" / "2026-01-01_2026-06-30" / "index.html").is_file()
    assert (site / "search" / "search_index.js").is_file()  # offline search


def test_soa_has_every_row_and_filters(site: Path) -> None:
    page = pages(site)[site / "acme" / "2026-01-01_2026-06-30" / "soa.html"]
    rows = [a for tag, a in page.elements if tag == "tr" and "data-theme" in a]
    assert len(rows) == 93 + 7
    assert {a["data-theme"] for a in rows} >= {"organizational", "technological", "cloud"}
    filters = [a["data-mc-filter"] for tag, a in page.elements if "data-mc-filter" in a]
    assert filters == ["mc-soa"] and "mc-soa" in page.ids
    selects = {a["name"] for tag, a in page.elements if tag == "select"}
    assert selects == {"theme", "status", "responsibility"}


def test_navigation_is_short(site: Path) -> None:
    page = (site / "acme" / "2026-01-01_2026-06-30" / "soa.html").read_text("utf-8")
    nav = page[page.index('<nav class="md-nav md-nav--primary"') : page.index("</nav>")]
    # Control and change pages are reached from their index pages, never listed in the nav.
    assert "ms-chg-01.html" not in page.split('class="md-content"')[0]
    assert "page-002.html" not in nav


def test_every_local_link_resolves(site: Path) -> None:
    parsed = pages(site)
    broken = []
    for path, page in parsed.items():
        for _tag, attrs in page.elements:
            for key in ("href", "src"):
                url = attrs.get(key)
                if not url or url.startswith(("#", "mailto:")):
                    continue
                parts = urlsplit(url)
                if parts.scheme or parts.netloc:
                    continue  # external URLs are the safety tests' business
                target = (path.parent / unquote(parts.path)).resolve()
                if not target.exists():
                    broken.append(f"{path.relative_to(site)}: {url}")
                elif (
                    parts.fragment
                    and target.suffix == ".html"
                    and parts.fragment not in parsed[target].ids
                ):
                    broken.append(f"{path.relative_to(site)}: {url} (no such anchor)")
    assert broken == []


def test_cited_commits_link_to_their_change_page(site: Path) -> None:
    acme = site / "acme" / "2026-01-01_2026-06-30"
    model = synthetic_evidence("acme", changes=1100)
    last = model.changes[-1].sha
    page = pages(site)[acme / "changes" / "page-003.html"]
    assert f"c-{last}" in page.ids
    control = (acme / "controls" / "ms-chg-01.html").read_text("utf-8")
    first = model.changes[0].sha
    assert f'href="../changes/index.html#c-{first}"' in control


def test_change_tables_are_shown_but_not_indexed_for_search(site: Path) -> None:
    index = (site / "search" / "search_index.json").read_text("utf-8")
    page = (site / "acme" / "2026-01-01_2026-06-30" / "changes" / "page-002.html").read_text()
    assert "Change 900: update" in page and 'id="mc-changes"' in page
    assert "Change 900: update" not in index and "data-mc-block" not in page
    assert "Change population" in index  # the page itself is still found


def test_downloads_are_the_pack_files_and_linked_from_each_page(site: Path) -> None:
    downloads = site / "acme" / "2026-01-01_2026-06-30" / "downloads"
    assert sorted(p.name for p in downloads.iterdir()) == [
        "changes.csv",
        "deviations.csv",
        "evidence-pack.pdf",
        "evidence.json",
        "sample.csv",
    ]
    pack = site.parent / "packs" / "acme" / "2026-01-01_2026-06-30"
    assert (downloads / "evidence.json").read_bytes() == (pack / "evidence.json").read_bytes()
    for name in ("index.html", "soa.html", "controls/ms-chg-01.html", "changes/page-002.html"):
        html = (downloads.parent / name).read_text("utf-8")
        assert "downloads/evidence-pack.pdf" in html and "downloads/changes.csv" in html, name


def test_status_badges_carry_text_not_only_colour(site: Path) -> None:
    html = (site / "acme" / "2026-01-01_2026-06-30" / "controls" / "index.html").read_text("utf-8")
    assert '<span class="mc-badge mc-badge--design_only">' in html
    assert "</span> Design only</span>" in html
    assert '<span class="mc-badge mc-badge--deviations">' in html
    assert "</span> Deviations found</span>" in html


def test_timeline_is_an_inline_svg_with_a_table(site: Path) -> None:
    html = (site / "acme" / "2026-01-01_2026-06-30" / "releases.html").read_text("utf-8")
    assert html.count('<svg class="mc-timeline"') == 1
    assert html.count('class="mc-tl-production"') >= 25  # 25 weekly releases + legend
    assert '<th class="mc-num">Hours in staging</th>' in html
    # Only what the history records, and the configuration's declarations labelled as such:
    # nothing observed says a rollout was automatic or that the customer approved it.
    text = " ".join(html.split())
    assert "automatically and production only after" not in text
    assert "How a rollout was started (automatically or by hand) is not recorded." in text
    assert "not a test result): production: approval required; staging: approval optional." in text


def test_lists_say_what_was_tested_and_figures_only_results_are_not_judged(
    tmp_path: Path,
) -> None:
    data = as_json(synthetic_evidence("acme", changes=30))
    control = data["controls"][0]
    figures = dict(control["results"][0], rule="access-activity", params={}, informational=True)
    figures.update(status="no_deviations", failures=[], reason="12 role grants.")
    control["results"].append(figures)
    model = from_json(data)
    site = build(tmp_path, [write_pack(tmp_path, model)])
    acme = site / "acme" / "2026-01-01_2026-06-30"
    shown = pages(site)
    page = " ".join(
        " ".join(shown[acme / "controls" / f"{control['id'].lower()}.html"].text).split()
    )
    assert "access-activity figures only, not judged" in page
    assert "This rule can find no deviation" in page
    index = " ".join(" ".join(shown[acme / "controls" / "index.html"].text).split())
    assert (
        "tested: approval of each production change; access activity per month (figures only, "
        "not judged)"
    ) in index
    assert f"not shown: {control['does_not_prove']}" in index
    soa = " ".join(" ".join(shown[acme / "soa.html"].text).split())
    assert any(control["id"] in r.implemented_by and r.status for r in model.soa)
    assert f"{control['id']} tested: approval of each production change" in soa
    # the SoA lists what the status rests on: figures-only results are left out
    assert "access activity per month" not in soa


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    digests = []
    for root in (first, second):
        packs = [write_pack(root, synthetic_evidence("acme", changes=700))]
        digests.append(tree_digest(build(root, packs)))
    assert digests[0] == digests[1]
    assert not any(name.startswith(("sitemap", "404")) for name in digests[0])
    html = (second / "site" / "index.html").read_text("utf-8")
    assert str(second) not in html and str(first) not in html


def test_failed_build_leaves_previous_site_and_no_debris(tmp_path: Path) -> None:
    packs = [write_pack(tmp_path, synthetic_evidence("acme", changes=20))]
    site = build(tmp_path, packs)
    before = tree_digest(site)
    broken = tmp_path / "overrides" / "pages"
    broken.mkdir(parents=True)
    (broken / "soa.md.j2").write_text("{{ no_such_variable }}\n", encoding="utf-8")
    with pytest.raises(Exception, match="no_such_variable"):
        build(tmp_path, packs, templates=str(tmp_path / "overrides"))
    assert tree_digest(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overrides", "packs", "site"]


def test_template_override_and_theme_options(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides" / "pages"
    overrides.mkdir(parents=True)
    (overrides / "methodology.md.j2").write_text(
        '---\ntitle: "Our method"\n---\n\n{% filter block %}<p>Audited by {{ model.installation }}'
        "</p>{% endfilter %}\n",
        encoding="utf-8",
    )
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    packs = [write_pack(tmp_path, synthetic_evidence("acme", changes=20))]
    site = build(
        tmp_path,
        packs,
        site_name="ACME <Audit>",
        logo=str(logo),
        palette={"primary": "#0a7d5a", "accent": "deep orange"},
        templates=str(tmp_path / "overrides"),
    )
    method = (site / "acme" / "2026-01-01_2026-06-30" / "methodology.html").read_text("utf-8")
    assert "<p>Audited by acme</p>" in method
    assert "<title>Our method - ACME -Audit</title>" in method  # the site name made inert
    home = (site / "index.html").read_text("utf-8")
    assert 'data-md-color-primary="custom"' in home and 'data-md-color-accent="deep-orange"' in home
    assert "#0a7d5a" in (site / "assets" / "portal" / "palette.css").read_text("utf-8")
    assert (site / "assets" / "portal" / "logo.svg").read_bytes() == logo.read_bytes()


@pytest.mark.parametrize(
    ("portal", "message"),
    [
        ({"palette": {"primary": "ultraviolet"}}, "portal.palette.primary: 'ultraviolet'"),
        ({"logo": "/no/such/logo.png"}, "portal.logo: '/no/such/logo.png' does not exist"),
        ({"colour": "red"}, "portal: Additional properties are not allowed ('colour'"),
    ],
)
def test_bad_portal_options_are_reported(tmp_path: Path, portal: dict, message: str) -> None:
    packs = [write_pack(tmp_path, synthetic_evidence("acme", changes=5))]
    with pytest.raises(BuildError, match=message.replace("(", r"\(")):
        render(packs, tmp_path / "site", RenderOptions(portal=portal))
    assert not (tmp_path / "site").exists()


def test_history_warnings_and_rule_wide_exceptions(tmp_path: Path) -> None:
    model = as_json(synthetic_evidence("acme", changes=30))
    model["source"]["warnings"] = ["release.yaml at abc123: not <b>YAML</b>"]
    model["exceptions"] = [
        {
            "id": "EXC-2026-001",
            "rules": ["change-approval"],
            "control": None,  # applies to every control evaluated with the rule
            "sha": None,
            "window": {"from": "2026-01-01", "to": "2026-01-31"},
            "deviation": None,
            "event": None,
            "justification": "Migration month.",
            "accepted_by": "CISO",
            "ticket": "SEC-1",
            "expires": "2026-12-31",
            "status": "active",
            "matched": [model["changes"][0]["sha"]],
        }
    ]
    packs = [write_pack(tmp_path, from_json(model))]
    pack = build(tmp_path, packs) / "acme" / "2026-01-01_2026-06-30"
    assert "not &lt;b&gt;YAML&lt;/b&gt;" in (pack / "index.html").read_text("utf-8")
    control = (pack / "controls" / "ms-chg-01.html").read_text("utf-8")
    assert 'href="../exceptions.html#exc-exc-2026-001">EXC-2026-001</a>' in control
    register = pages(pack.parent.parent)[pack / "exceptions.html"]
    assert "exc-exc-2026-001" in register.ids
    assert "every control of the rule" in "".join(register.text)
    # The entries are the register's words, shown as such, here and beside the control.
    text = " ".join(" ".join(register.text).split())
    assert "These are the register's words, not verified by meshcomply" in text
    assert "Accepted by (as stated)" in text
    assert "The entry names CISO as accepting it; not verified by meshcomply." in control


def test_changes_since_previous_period(tmp_path: Path) -> None:
    previous = as_json(
        synthetic_evidence("acme", changes=20, seed=1, period=("2025-07-01", "2025-12-31"))
    )
    current = as_json(synthetic_evidence("acme", changes=20))
    current["controls"][0]["status"] = "not_tested"
    previous["controls"][0]["status"] = "no_deviations"
    current["controls"][1]["implements"].append(
        {"ref": "iso27001:2022/A.5.1", "coverage": "partial", "rationale": "x"}
    )
    current = from_json(current)
    current = replace(current, changes_since=compare(from_json(previous), current))
    pack = build(tmp_path, [write_pack(tmp_path, current)]) / "acme" / "2026-01-01_2026-06-30"
    page = pages(pack)[pack / "since.html"]
    text = " ".join("".join(page.text).split())
    assert "Compared with the pack for 2025-07-01 \u2013 2025-12-31" in text
    first = current.controls[0].id
    assert f"{first}Synthetic control {first}✔ No deviations found✖ Not tested" in text  # cells
    assert "iso27001:2022/A.5.1" in text
    quiet = synthetic_evidence("acme", changes=20)
    pack = build(tmp_path, [write_pack(tmp_path, quiet)]) / "acme" / "2026-01-01_2026-06-30"
    assert "built without a previous period" in (pack / "since.html").read_text("utf-8")


def test_relative_site_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packs = [write_pack(tmp_path, synthetic_evidence("acme", changes=5))]
    monkeypatch.chdir(tmp_path)
    render(packs, Path("out") / "site", RenderOptions())
    assert (tmp_path / "out" / "site" / "index.html").is_file()
    assert (tmp_path / "out" / "site" / "acme" / "2026-01-01_2026-06-30" / "soa.html").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["site"]


def test_empty_fleet_builds_a_home_page(tmp_path: Path) -> None:
    render([], tmp_path / "site", RenderOptions())
    assert "No evidence packs in this build." in (tmp_path / "site" / "index.html").read_text()


def test_control_pages_say_what_the_rules_test_and_the_customers_part(site: Path) -> None:
    acme = site / "acme" / "2026-01-01_2026-06-30"
    model = fleet(site.parent / "again", hostile=False)[0].model
    shown = pages(site)
    for control in model.controls:
        text = " ".join(
            " ".join(shown[acme / "controls" / f"{control.id.lower()}.html"].text).split()
        )
        assert f"What the rules test {control.proves}" in text
        assert f"It does not show {control.does_not_prove}" in text
        # The description is meshcloud's account of the design: labelled so, below the status.
        described = f"Control description (meshcloud's design, not tested): {control.description}"
        tested = f"What the rules test {control.proves}"
        assert described in text and text.index(tested) < text.index(described)
        assert "Evidence shows" not in text
        assert ("Customer's part" in text) == (control.customer_part is not None)
    soa = " ".join(" ".join(shown[acme / "soa.html"].text).split())
    assert "(full coverage)" in soa and "(partial coverage)" in soa
