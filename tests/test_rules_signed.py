"""signed-changes: unsigned, non-verifying and unverifiable signatures."""

from __future__ import annotations

from pathlib import Path

from evidence_builders import History, change, installation, sha

from generator.config import SigningConfig
from generator.evidence.context import RuleContext
from generator.evidence.registry import Failure, all_rules

SIGNED = all_rules()["signed-changes"].evaluate
WITH_KEYS = installation(signing=SigningConfig(allowed_signers=Path("allowed_signers")))


def judge(history: History, **params):
    return SIGNED(RuleContext(history), {"roles": ["production"], **params})


def test_signed_changes_without_keys_have_no_deviations():
    history = History(changes=[change("a", "2026-01-10T10:00:00Z")])
    result = judge(history)
    assert result.status == "no_deviations"
    assert result.reason == "The 1 production change was signed."
    assert result.details["keys_configured"] is False


def test_unsigned_and_bad_signatures_fail():
    history = History(
        installation=WITH_KEYS,
        changes=[
            change("good", "2026-01-10T10:00:00Z", verified=True),
            change("unsigned", "2026-01-11T10:00:00Z", signed=False),
            change("bad", "2026-01-12T10:00:00Z", verified=False),
            change("unchecked", "2026-01-13T10:00:00Z", verified=None),
        ],
    )
    result = judge(history)
    assert result.status == "deviations"
    assert result.failures == (
        Failure("not signed", sha("unsigned"), kind="unsigned"),
        Failure(
            "signature does not verify against the configured keys",
            sha("bad"),
            kind="bad_signature",
        ),
    )
    assert result.reason == (
        "2 of 4 production changes lack a valid signature: 1 unsigned, 1 not verifying."
    )


def test_require_verified_fails_signatures_the_keys_could_not_check():
    history = History(
        installation=WITH_KEYS,
        changes=[
            change("good", "2026-01-10T10:00:00Z", verified=True),
            change("unchecked", "2026-01-13T10:00:00Z", verified=None),
        ],
    )
    result = judge(history, require_verified=True)
    assert result.failures == (
        Failure(
            "ssh signature could not be checked with the configured keys",
            sha("unchecked"),
            kind="unverified",
        ),
    )


def test_require_verified_without_keys_is_not_tested():
    history = History(changes=[change("good", "2026-01-10T10:00:00Z")])
    result = judge(history, require_verified=True)
    assert result.status == "not_tested"
    assert result.reason == (
        "Verified signatures are required, but installation acme configures no signing keys "
        "to verify them with."
    )


def test_all_verified_says_so():
    history = History(
        installation=WITH_KEYS,
        changes=[
            change("a", "2026-01-10T10:00:00Z", verified=True),
            change("b", "2026-01-11T10:00:00Z", verified=True),
        ],
    )
    assert judge(history, require_verified=True).reason == (
        "All 2 production changes were verified, each with its committer's key."
    )
    assert judge(history).reason == (
        "All 2 production changes were signed (checked against the configured keys, each with its "
        "committer's key)."
    )
