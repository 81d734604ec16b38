"""service/results.py: what the pipeline yields (text, UnitResult, Retract)."""

import dataclasses

from llamax_cli.service import pipeline
from llamax_cli.service.results import Retract, UnitResult


def test_a_unit_result_has_every_field_a_json_record_needs_with_their_defaults():
    result = UnitResult(3, 7, "Hello.", "Bonjour.", "ok")
    assert (result.index, result.line, result.status) == (3, 7, "ok")
    assert result.attempts == 1 and result.tokens == 0 and result.score is None
    assert result.alternatives == [] and result.also == [] and result.memory is None
    other = UnitResult(0, 1, "a", "b", "ok")
    other.also.append("echo")
    assert result.also == []  # each result its own lists


def test_the_pipeline_yields_these_very_types():
    assert pipeline.UnitResult is UnitResult and pipeline.Retract is Retract
    assert dataclasses.is_dataclass(Retract) and Retract("x").text == "x"
