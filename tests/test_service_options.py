"""service/options.py: how one translation request is run. The defaults are what the CLI and
the server give a request that sets nothing, and an Options is a value (frozen, compared by
its fields), shared safely between units and threads."""

from __future__ import annotations

import dataclasses

import pytest

from llamax_cli.engine import Sampling
from llamax_cli.service import pipeline
from llamax_cli.service.glossary import Glossary
from llamax_cli.service.options import Options


def test_the_defaults_are_greedy_one_beam_checked_and_sized_per_unit():
    options = Options()
    assert options.max_tokens is None  # sized from each unit's source length
    assert options.sampling == Sampling() and options.sampling.temperature == 0.0
    assert (options.live, options.beams, options.alternatives) == (False, 1, 0)
    assert options.check_language is True and options.glossary is None


def test_options_are_frozen_values():
    options = Options(max_tokens=64, beams=4, alternatives=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.beams = 1
    assert options == Options(max_tokens=64, beams=4, alternatives=2)
    assert options != Options(max_tokens=64, beams=4, alternatives=3)
    assert dataclasses.replace(options, live=True).live and not options.live


def test_each_field_is_kept_as_given():
    glossary = Glossary(("GGUF",), {"queue": "file"})
    options = Options(max_tokens=8, sampling=Sampling(0.7, 3), live=True, beams=2,
                      alternatives=1, check_language=False, glossary=glossary)
    assert [getattr(options, f.name) for f in dataclasses.fields(Options)] == [
        8, Sampling(0.7, 3), True, 2, 1, False, glossary]


def test_the_pipeline_takes_this_same_class():
    # The CLI, the server and the library build pipeline.Options: one class, not a copy.
    assert pipeline.Options is Options
