"""The library face (llamax_cli/api.py), used as a Python program would."""

from __future__ import annotations

import subprocess
import sys

import pytest

import llamax_cli
from llamax_cli import Translator, detect, open_translator, translate_text, translation
from llamax_cli.core.errors import UsageError


def test_importing_the_package_loads_no_engine():
    code = ("import sys, llamax_cli; assert 'llama_cpp' not in sys.modules; "
            "llamax_cli.detect; assert 'llama_cpp' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_translator_translates_and_closes(gemma_path, monkeypatch):
    monkeypatch.setenv("LLAMAX_CHECK_LANGUAGE", "0")
    with open_translator(str(gemma_path), parallel=2) as translator:
        assert isinstance(translator, Translator)
        text = translate_text("Good morning, my friend.", to="French", source="en",
                              translator=translator, max_tokens=12)
        assert isinstance(text, str) and text.strip()
        result = translation("Good morning.\nSee you soon.", to="fr", source="en",
                             translator=translator, max_tokens=12)
        assert result.source.code == "en" and len(result.results) == 2
        assert result.text.count("\n") == 1  # one line out for each line in
    assert translator.engine.scheduler is None  # closed by the with block


def test_detect_and_bad_arguments():
    assert detect("Habari za asubuhi, rafiki yangu").language.code == "sw"
    with pytest.raises(TypeError, match="unknown setting"):
        open_translator(None, paralel=2)
    # A bad value gets the CLI's message for it (config.py checks them all), before any load.
    with pytest.raises(UsageError, match=r"^--parallel 0: must be at least 1, got 0$"):
        open_translator("/no/such/model.gguf", parallel=0)
    with pytest.raises(AttributeError):
        llamax_cli.nothing_here
