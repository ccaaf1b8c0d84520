import copy

from jsonschema import Draft202012Validator

from generator.evidence.codec import to_plain
from generator.testing import synthetic_evidence
from generator.validate import load_schema


def test_the_schema_is_valid_and_accepts_the_contract_example_models():
    schema = load_schema("evidence")
    Draft202012Validator.check_schema(schema)
    for model in (synthetic_evidence(), synthetic_evidence(hostile=True, changes=5)):
        assert list(Draft202012Validator(schema).iter_errors(to_plain(model))) == []


def test_the_schema_rejects_a_broken_model():
    model = copy.deepcopy(to_plain(synthetic_evidence(changes=3)))
    model["changes"][0]["sha"] = "not-a-sha"
    del model["soa"][0]["justification"]
    model["controls"][0]["status"] = "fine"
    errors = {
        tuple(e.absolute_path)
        for e in Draft202012Validator(load_schema("evidence")).iter_errors(model)
    }
    assert ("changes", 0, "sha") in errors
    assert ("soa", 0) in errors
    assert ("controls", 0, "status") in errors
