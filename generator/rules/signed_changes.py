"""signed-changes: changes to the environments with the named roles carry a commit signature.

When the installation configures keys (allowed SSH signers or a GPG keyring), the history reader
verifies signatures: a signature that does not verify always fails, and a good signature must be
bound to the committer (the allowed-signers principal or the OpenPGP user id the keys name for it
is the committer's address), else it is a signer mismatch: someone signed with another person's
key, or a key shared by several. With ``require_verified``, a signature the configured keys could
not check fails too, and without any keys configured the rule cannot be evidenced at all.
"""

from __future__ import annotations

from typing import Any

from generator.evidence.context import (
    ROLES_PARAM,
    RuleContext,
    count_text,
    empty_population_result,
    environments_phrase,
    every,
    missing_roles_result,
    part_of,
    plural,
    was_were,
)
from generator.evidence.registry import Failure, Rule, RuleResult, SampleCheck
from generator.history.model import Change, Tag
from generator.history.population import signed_by_tagger, signer_email
from generator.status import Status

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["roles"],
    "properties": {
        "roles": ROLES_PARAM,
        "require_verified": {
            "type": "boolean",
            "default": False,
            "description": "fail signatures the configured keys could not verify",
        },
    },
}

DEVIATION_KINDS = {
    "unsigned": "The change carries no commit signature.",
    "bad_signature": "The change's signature does not verify against the configured keys.",
    "signer_mismatch": (
        "The change (or a release tag pointing to it) carries a good signature, made with a key "
        "the configured keys bind to someone other than its committer (tagger), or to no one."
    ),
    "unverified": (
        "Verified signatures are required, and the configured keys could not check the "
        "change's signature."
    ),
}
_CATEGORY_WORDS = {
    "unsigned": "unsigned",
    "bad_signature": "not verifying",
    "signer_mismatch": "signed with someone else's key",
    "unverified": "unverified",
}


def keys_configured(context: RuleContext) -> bool:
    signing = context.installation.signing
    return bool(signing and (signing.allowed_signers or signing.gpg_keyring))


def signed_by_committer(change: Change) -> bool:
    """Whether the good signature's signer (allowed-signers principal, OpenPGP user id) is the
    committer, by e-mail address ignoring case."""
    commit = change.commit
    signer = signer_email(commit.signer)
    return bool(signer) and signer == commit.committer.email.casefold()


def signature_problem(change: Change, require_verified: bool) -> tuple[str, str] | None:
    """(category, message) of what is wrong with a change's signature, None when it is fine."""
    if not change.signed:
        return "unsigned", "not signed"
    if change.verified is False:
        return "bad_signature", "signature does not verify against the configured keys"
    if change.verified and not signed_by_committer(change):
        commit = change.commit
        committer = f"{commit.committer.name} <{commit.committer.email}>"
        if not commit.signer:
            return (
                "signer_mismatch",
                f"signed with a key the configured keys bind to no one, committed by {committer}",
            )
        key = f" {commit.signing_key}" if commit.signing_key else ""
        return (
            "signer_mismatch",
            f"signed with the key{key} of {commit.signer}, committed by {committer}",
        )
    if require_verified and change.verified is None:
        kind = change.commit.signature
        return "unverified", f"{kind} signature could not be checked with the configured keys"
    return None


def tag_mismatch(tag: Tag) -> tuple[str, str] | None:
    """(the tag's ref, message) when a release tag's good signature is not its tagger's."""
    if signed_by_tagger(tag):
        return None
    tagger = f"{tag.tagger.name} <{tag.tagger.email}>" if tag.tagger else "no tagger"
    ref, what = f"refs/tags/{tag.name}", f"release tag {tag.name}"
    if not tag.signer:
        return ref, f"{what} signed with a key bound to no one, tagged by {tagger}"
    key = f" {tag.signing_key}" if tag.signing_key else ""
    return ref, f"{what} signed with the key{key} of {tag.signer}, tagged by {tagger}"


def evaluate(context: RuleContext, params: dict[str, Any]) -> RuleResult:
    roles = params["roles"]
    require_verified = params.get("require_verified", False)
    missing = missing_roles_result(context, roles)
    if missing:
        return missing
    environments = context.environments_with_roles(roles)
    keys = keys_configured(context)
    if require_verified and not keys:
        return RuleResult(
            status=Status.NOT_TESTED,
            reason=(
                "Verified signatures are required, but installation "
                f"{context.installation.name} configures no signing keys to verify them with."
            ),
        )
    noun = f"{environments_phrase(roles)} change"
    what = f"{noun}s"
    population = context.changes_in(environments)
    if not population:
        return empty_population_result(
            context,
            environments,
            what,
            status=Status.NO_DEVIATIONS,
            reason=f"No {what} in the period, so none went unsigned.",
        )
    failures = []
    counts = dict.fromkeys(_CATEGORY_WORDS, 0)
    tags = context.history.signed_tags  # the reader's: verified, dated before the period's end
    failed_changes = 0
    tag_mismatches = 0
    for change in population:
        sha = change.commit.sha
        problem = signature_problem(change, require_verified)
        if problem:
            counts[problem[0]] += 1
            failures.append(Failure(message=problem[1], sha=sha, kind=problem[0]))
        mismatched = [found for tag in tags.get(sha, ()) if (found := tag_mismatch(tag))]
        tag_mismatches += len(mismatched)
        failures += [Failure(m, sha, kind="signer_mismatch", items=(ref,)) for ref, m in mismatched]
        failed_changes += bool(problem or mismatched)
    total, failed = len(population), failed_changes
    if failures:
        breakdown = ", ".join(
            f"{count_text(n)} {_CATEGORY_WORDS[c]}" for c, n in counts.items() if n
        )
        if tag_mismatches:
            tagged = f"{plural(tag_mismatches, 'release tag')} signed with someone else's key"
            breakdown = f"{breakdown}, {tagged}" if breakdown else tagged
        status = Status.DEVIATIONS
        # A change whose own signature is good can fail by its release tag alone: then the
        # sentence must not say it lacks a valid signature.
        if tag_mismatches:
            verb = "fails" if failed == 1 else "fail"
            reason = f"{part_of(failed, total, noun)} {verb} the signature test: {breakdown}."
        else:
            verb = "lacks" if failed == 1 else "lack"
            reason = f"{part_of(failed, total, noun)} {verb} a valid signature: {breakdown}."
    else:
        if require_verified:
            how = "verified, each with its committer's key"
        elif keys:
            how = "signed (checked against the configured keys, each with its committer's key)"
        else:
            how = "signed"
        status = Status.NO_DEVIATIONS
        reason = f"{every(total, noun)} {was_were(total)} {how}."
    return RuleResult(
        status=status,
        reason=reason,
        population=total,
        passed=total - failed,
        failed=failed,
        cited=tuple(c.commit.sha for c in population),
        failures=tuple(failures),
        details={
            "require_verified": require_verified,
            "keys_configured": keys,
            **counts,
            **({"tag_signer_mismatch": tag_mismatches} if tag_mismatches else {}),
        },
        last_evidence=context.newest_date(c.commit.committed_at for c in population),
    )


RULE = Rule(
    kind="signed-changes",
    summary="Changes to environments with the named roles are signed (and verified, given keys).",
    params_schema=PARAMS_SCHEMA,
    evaluate=evaluate,
    sample_check=SampleCheck(
        attribute="signature",
        check="The commit carries a signature, good for a key of the configured allowed signers "
        "or keyring (git verify-commit SHA, with gpg.ssh.allowedSignersFile set for SSH keys).",
        roles=lambda params: params["roles"],
    ),
    deviation_kinds=DEVIATION_KINDS,
)
