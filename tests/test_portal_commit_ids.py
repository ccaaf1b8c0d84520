"""Commit ids on the portal, in a real browser: each reads as one unit (one line, never broken
inside), its first digits shown, and the whole id is what a reader copies and finds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_portal_browser import _OVERFLOW, Browser, _need_chromium
from test_portal_support import PERIOD, build, write_pack

from generator.testing import synthetic_evidence
from generator.testing_json import as_json, from_json

PACK = f"acme/{PERIOD}"
FINGERPRINT = "SHA256:" + "2rXgXLSFJHnSIENkoKFIzCFGZcy6Ye23n4EvLOYKsI" * 2


def _model_with_a_details_table():
    """The synthetic pack with a rule's details table of versions, as staging-before-production
    writes one: two commit-id columns beside dates, a version and a number."""
    data = as_json(synthetic_evidence("acme", changes=40, controls=8))
    changes = data["changes"]
    versions = [
        {
            "version": f"2026.{index + 10}.0",
            "staging_sha": changes[2 * index]["sha"],
            "staging_date": changes[2 * index]["committed_at"],
            "production_sha": changes[2 * index + 1]["sha"],
            "production_date": changes[2 * index + 1]["committed_at"],
            "staging_hours": 149.52,
        }
        for index in range(12)
    ]
    control = next(c for c in data["controls"] if c["id"] == "MS-CHG-01")
    control["results"][0]["details"] = {"min_hours": 24, "versions": versions}
    # An open deviation whose message holds a key fingerprint, one long word (as the demo's
    # signer_mismatch deviation does): it widened the corrective actions table past the page.
    data["deviations"][0]["message"] = f"signed with the key {FINGERPRINT}, not allowed"
    return from_json(data), versions


@pytest.fixture(scope="module")
def browser_and_site(tmp_path_factory: pytest.TempPathFactory):
    executable = _need_chromium()
    root = tmp_path_factory.mktemp("commit-ids")
    model, versions = _model_with_a_details_table()
    site = build(root, [write_pack(root, model)])
    browser = Browser(executable, root / "profile", site)
    try:
        browser.open_session()
        yield browser, site, versions
    finally:
        browser.close()


# Each commit id of the page: its text, how many lines it takes (its text boxes' tops), whether
# part of it is hidden, what selecting the whole element copies, and whether the browser's find
# (Ctrl+F) finds it.
_COMMIT_IDS = """(() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  return [...document.querySelectorAll('code.mc-sha__id')].filter(c => c.offsetParent).map(c => {
    const range = document.createRange();
    range.selectNodeContents(c);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    const copied = selection.toString();
    selection.removeAllRanges();
    const found = window.find(c.textContent, true);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    return [c.textContent, tops.size, c.scrollWidth > c.clientWidth, copied, found];
  });
})()"""

# The lines each cell of the details table's version column takes.
_VERSION_LINES = """(() => [...document.querySelectorAll('.mc-details table tbody tr')].map(row => {
  const range = document.createRange();
  range.selectNodeContents(row.cells[0]);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return [row.cells[0].textContent, tops.size];
}))()"""


@pytest.mark.parametrize("width", [1280, 800])
@pytest.mark.parametrize("page", ["changes/index.html", "controls/ms-chg-01.html"])
def test_a_commit_id_is_one_unit_and_copies_whole(browser_and_site, page, width) -> None:
    # Before: a details table printed each 40-digit id as text broken anywhere, over three
    # lines of its column; the change table showed 12 digits, the whole id only in a tooltip.
    browser, site, versions = browser_and_site
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 1600, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        browser.open(site / PACK / page)
        ids = browser.evaluate(_COMMIT_IDS)
        overflow = browser.evaluate(_OVERFLOW)
        version_lines = browser.evaluate(_VERSION_LINES) if "controls" in page else []
    finally:
        browser.send("Emulation.clearDeviceMetricsOverride")
    assert len(ids) >= 24, ids
    for text, lines, clipped, copied, found in ids:
        assert re.fullmatch(r"[0-9a-f]{40}", text), text
        assert lines == 1, (text, lines)
        assert clipped, text  # 12 digits and an ellipsis shown, not the whole width
        assert copied == text
        assert found, text
    if "controls" in page:
        shown = {text for text, *_ in ids}
        for v in versions:
            assert {v["staging_sha"], v["production_sha"]} <= shown
        assert [lines for _, lines in version_lines] == [1] * len(versions), version_lines
    # At 800 px the change table scrolled 140 px sideways, its flags out of sight.
    assert overflow and max(overflow) <= 1, overflow


@pytest.mark.parametrize("width", [1280, 800])
def test_the_corrective_actions_fit_the_window(browser_and_site, width) -> None:
    browser, site, _ = browser_and_site
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 1600, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        browser.open(site / PACK / "corrective-actions.html")
        overflow = browser.evaluate(_OVERFLOW)
        text = browser.evaluate("document.querySelector('.md-content').textContent")
    finally:
        browser.send("Emulation.clearDeviceMetricsOverride")
    assert FINGERPRINT in text
    assert overflow and max(overflow) <= 1, overflow


def test_every_commit_id_of_the_changes_page_is_in_its_text(browser_and_site) -> None:
    _, site, _ = browser_and_site
    html = (site / PACK / "changes" / "index.html").read_text("utf-8")
    model, _ = _model_with_a_details_table()
    for change in model.changes:
        assert f'<code class="mc-sha__id">{change.sha}</code>' in html, change.sha


def test_the_portal_stylesheet_keeps_a_commit_id_on_one_line() -> None:
    css = (Path(__file__).parents[1] / "templates/portal/assets/portal.css").read_text("utf-8")
    rule = css[css.index("code.mc-sha__id {") :].split("}", 1)[0]
    for declaration in ("white-space: nowrap", "overflow: hidden", "text-overflow: ellipsis"):
        assert declaration in rule, declaration
