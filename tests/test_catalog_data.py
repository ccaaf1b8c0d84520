"""Structural checks for the ISO catalog data files in controls/catalogs/.

The catalogs hold identifiers and short titles only (no control text).
"""

from collections import Counter
from pathlib import Path

import pytest
import yaml

CATALOGS = Path(__file__).parents[1] / "controls" / "catalogs"

EXPECTED_CLAUSES = [
    "4",
    "4.1",
    "4.2",
    "4.3",
    "4.4",
    "5",
    "5.1",
    "5.2",
    "5.3",
    "6",
    "6.1",
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.2",
    "6.3",
    "7",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.5.1",
    "7.5.2",
    "7.5.3",
    "8",
    "8.1",
    "8.2",
    "8.3",
    "9",
    "9.1",
    "9.2",
    "9.2.1",
    "9.2.2",
    "9.3",
    "9.3.1",
    "9.3.2",
    "9.3.3",
    "10",
    "10.1",
    "10.2",
]

THEMES_2022 = {
    "organizational": (5, 37),
    "people": (6, 8),
    "physical": (7, 14),
    "technological": (8, 34),
}

EXPECTED_CLD = [
    "CLD.6.3.1",
    "CLD.8.1.5",
    "CLD.9.5.1",
    "CLD.9.5.2",
    "CLD.12.1.5",
    "CLD.12.4.5",
    "CLD.13.1.4",
]

DOMAIN_COUNTS_2013 = {
    "A.5": 2,
    "A.6": 7,
    "A.7": 6,
    "A.8": 10,
    "A.9": 14,
    "A.10": 2,
    "A.11": 15,
    "A.12": 14,
    "A.13": 7,
    "A.14": 13,
    "A.15": 5,
    "A.16": 7,
    "A.17": 4,
    "A.18": 8,
}

NEW_IN_2022 = {
    "A.5.7",
    "A.5.23",
    "A.5.30",
    "A.7.4",
    "A.8.9",
    "A.8.10",
    "A.8.11",
    "A.8.12",
    "A.8.16",
    "A.8.23",
    "A.8.28",
}

CATALOG_FILES = ["iso27001-2022.yaml", "iso27017-2015.yaml", "iso27001-2013.yaml"]


def load(name):
    with open(CATALOGS / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def iso2022():
    return load("iso27001-2022.yaml")


@pytest.fixture(scope="module")
def iso2013():
    return load("iso27001-2013.yaml")


@pytest.fixture(scope="module")
def iso27017():
    return load("iso27017-2015.yaml")


@pytest.fixture(scope="module")
def crosswalk():
    return load("crosswalk-2013-2022.yaml")


def annex_a(catalog):
    return [e for e in catalog["entries"] if e["kind"] == "annex-a"]


# --- generic checks over every catalog -------------------------------------


@pytest.mark.parametrize("name", CATALOG_FILES)
def test_no_duplicate_ids(name):
    ids = [e["id"] for e in load(name)["entries"]]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes


@pytest.mark.parametrize("name", CATALOG_FILES)
def test_ids_and_titles_are_strings_and_short(name):
    for e in load(name)["entries"]:
        assert isinstance(e["id"], str) and e["id"], e
        assert isinstance(e["title"], str), e
        assert 0 < len(e["title"].strip()) < 100, e


# --- ISO/IEC 27001:2022 ------------------------------------------------------


def test_2022_header(iso2022):
    assert iso2022["standard"] == "iso27001:2022"
    assert iso2022["title"] == "ISO/IEC 27001:2022"


def test_2022_kinds(iso2022):
    assert {e["kind"] for e in iso2022["entries"]} == {"clause", "annex-a"}


def test_2022_clause_ids(iso2022):
    clauses = [e["id"] for e in iso2022["entries"] if e["kind"] == "clause"]
    assert clauses == EXPECTED_CLAUSES


def test_2022_annex_a_total(iso2022):
    assert len(annex_a(iso2022)) == 93


@pytest.mark.parametrize("theme", sorted(THEMES_2022))
def test_2022_annex_a_per_theme(iso2022, theme):
    number, count = THEMES_2022[theme]
    ids = [e["id"] for e in annex_a(iso2022) if e["theme"] == theme]
    assert ids == [f"A.{number}.{n}" for n in range(1, count + 1)]


def test_2022_annex_a_sequence(iso2022):
    expected = [
        f"A.{number}.{n}"
        for number, count in sorted(THEMES_2022.values())
        for n in range(1, count + 1)
    ]
    assert [e["id"] for e in annex_a(iso2022)] == expected
    assert {e["theme"] for e in annex_a(iso2022)} == set(THEMES_2022)


def test_2022_spot_titles(iso2022):
    titles = {e["id"]: e["title"] for e in iso2022["entries"]}
    assert titles["A.5.1"] == "Policies for information security"
    assert titles["A.5.23"] == "Information security for use of cloud services"
    assert titles["A.8.15"] == "Logging"
    assert titles["6.3"] == "Planning of changes"
    assert titles["10.1"] == "Continual improvement"
    assert titles["10.2"] == "Nonconformity and corrective action"


# --- ISO/IEC 27017:2015 ------------------------------------------------------


def test_27017(iso27017):
    assert iso27017["standard"] == "iso27017:2015"
    assert iso27017["title"] == "ISO/IEC 27017:2015"
    entries = iso27017["entries"]
    assert [e["id"] for e in entries] == EXPECTED_CLD
    for e in entries:
        assert e["kind"] == "cloud"
        assert isinstance(e["objective"], str)
        assert 0 < len(e["objective"].strip()) < 300


# --- ISO/IEC 27001:2013 ------------------------------------------------------


def test_2013_header(iso2013):
    assert iso2013["standard"] == "iso27001:2013"
    assert iso2013["title"] == "ISO/IEC 27001:2013"
    assert all(e["kind"] == "annex-a" for e in iso2013["entries"])


def test_2013_total(iso2013):
    assert len(iso2013["entries"]) == 114


def test_2013_per_domain(iso2013):
    counts = Counter(e["id"].rsplit(".", 2)[0] for e in iso2013["entries"])
    assert dict(counts) == DOMAIN_COUNTS_2013


def test_2013_domain_field_matches_id(iso2013):
    for e in iso2013["entries"]:
        prefix = e["id"].rsplit(".", 2)[0]
        assert e["domain"].startswith(prefix + " "), e


def test_2013_ids_well_formed_and_ordered(iso2013):
    def key(i):
        return tuple(int(p) for p in i[2:].split("."))

    ids = [e["id"] for e in iso2013["entries"]]
    assert all(i.startswith("A.") and len(key(i)) == 3 for i in ids)
    assert ids == sorted(ids, key=key)
    assert ids[0] == "A.5.1.1" and ids[-1] == "A.18.2.3"


# --- crosswalk 2013 -> 2022 --------------------------------------------------


def test_crosswalk_header(crosswalk):
    assert crosswalk["from"] == "iso27001:2013"
    assert crosswalk["to"] == "iso27001:2022"


def test_crosswalk_covers_every_2013_control_once(crosswalk, iso2013):
    sources = [m["from"] for m in crosswalk["mappings"]]
    assert len(sources) == len(set(sources))
    assert set(sources) == {e["id"] for e in iso2013["entries"]}


def test_crosswalk_targets_exist(crosswalk, iso2022):
    known = {e["id"] for e in annex_a(iso2022)}
    for m in crosswalk["mappings"]:
        assert isinstance(m["to"], list) and m["to"], m
        assert len(m["to"]) == len(set(m["to"])), m
        assert set(m["to"]) <= known, m


def test_crosswalk_untargeted_are_exactly_the_new_controls(crosswalk, iso2022):
    targeted = {t for m in crosswalk["mappings"] for t in m["to"]}
    untargeted = {e["id"] for e in annex_a(iso2022)} - targeted
    assert untargeted == NEW_IN_2022


def test_crosswalk_spot_checks(crosswalk):
    mapping = {m["from"]: m["to"] for m in crosswalk["mappings"]}
    assert mapping["A.5.1.1"] == ["A.5.1"]
    assert mapping["A.6.1.2"] == ["A.5.3"]
    assert mapping["A.12.1.2"] == ["A.8.32"]
    for src in ("A.12.4.1", "A.12.4.2", "A.12.4.3"):
        assert mapping[src] == ["A.8.15"]
    assert mapping["A.18.2.3"] == ["A.5.36", "A.8.8"]
