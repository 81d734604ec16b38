"""models/factory.py: which engine a model reference names (remote_target), and the model
file to load, asking before a download through the caller's `ask` (model_path). No network:
the hub is offline or a closed port on 127.0.0.1, and the registry is the test's own."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.models.factory import model_path, open_engine, remote_target

USER_REGISTRY = '''
[models.far]
description = "a model on a server"
api_base = "http://gpu-box:8000/v1"
api_model = "llamax3"

[models.bare]
description = "a server that names no model"
api_base = "http://other-box:8000/v1"

[models.tiny]
description = "a small repo model, never pulled"
repo = "test-org/Never-Pulled-GGUF"
[models.tiny.files]
Q4_K_M = { file = "tiny.Q4_K_M.gguf", size = 50000000 }
'''

NOT_DOWNLOADED = ("model tiny:q4_k_m (50 MB) is not downloaded{}; "
                  "get it with `llamax models pull tiny:q4_k_m`")


@pytest.fixture
def registry_home(tmp_path, monkeypatch) -> Path:
    """A config dir of the test's own holding USER_REGISTRY, no LLAMAX_*/HF_* settings from
    outside, and the hub offline unless a test says otherwise."""
    for name in list(os.environ):
        if name.startswith(("LLAMAX_", "HF_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "config" / "llamax"
    folder.mkdir(parents=True)
    (folder / "models.toml").write_text(USER_REGISTRY)
    return folder


@pytest.fixture
def unreachable_hub(registry_home, monkeypatch) -> str:
    """Online, but the hub is a port on this machine where no one listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", url)
    return url


def never_asked(question: str) -> bool:
    raise AssertionError(f"asked {question!r}")


# -- remote_target ------------------------------------------------------------------------------

def test_an_api_base_setting_wins_whatever_the_model(registry_home):
    settings = {"api_base": "http://vllm:8000/v1", "api_model": "m"}
    assert remote_target("weights.gguf", settings) == ("http://vllm:8000/v1", "m")
    assert remote_target("tiny", {"api_base": "http://vllm:8000/v1"}) == (
        "http://vllm:8000/v1", None)


@pytest.mark.parametrize("ref", ["weights.gguf", "./models/x", "tiny", "tiny:q4_k_m",
                                 "no-such-model", "llamax3-8b-alpaca"])
def test_files_repo_models_and_unknown_names_are_local(registry_home, ref):
    assert remote_target(ref, {}) is None


def test_a_registry_entry_with_an_api_base_is_remote(registry_home):
    assert remote_target("far", {}) == ("http://gpu-box:8000/v1", "llamax3")
    assert remote_target("far", {"api_model": "other"}) == ("http://gpu-box:8000/v1", "other")
    assert remote_target("bare", {}) == ("http://other-box:8000/v1", None)


def test_the_configured_default_model_can_be_remote(registry_home, monkeypatch):
    assert remote_target(None, {}) is None  # the packaged default: a repo model
    monkeypatch.setenv("LLAMAX_MODEL", "far")
    assert remote_target(None, {}) == ("http://gpu-box:8000/v1", "llamax3")


# -- model_path ---------------------------------------------------------------------------------

def test_a_path_is_the_model_file_as_given(registry_home, tmp_path):
    given = tmp_path / "weights.gguf"
    assert model_path(str(given), yes=False, note=print, ask=never_asked) == given


def test_offline_a_missing_model_is_an_error_without_a_question(registry_home):
    with pytest.raises(LlamaxError) as caught:
        model_path("tiny", yes=True, note=print, ask=never_asked)
    assert str(caught.value) == NOT_DOWNLOADED.format(" and HF_HUB_OFFLINE is set")


def test_with_no_one_to_ask_the_error_says_to_pass_yes(unreachable_hub):
    with pytest.raises(LlamaxError) as caught:
        model_path("tiny", yes=False, note=print, ask=None)
    assert str(caught.value) == NOT_DOWNLOADED.format(" (pass --yes to download it now)")


def test_a_no_to_the_question_is_the_plain_not_downloaded_error(unreachable_hub):
    questions = []

    def ask(question: str) -> bool:
        questions.append(question)
        return False

    with pytest.raises(LlamaxError) as caught:
        model_path("tiny", yes=False, note=print, ask=ask)
    assert str(caught.value) == NOT_DOWNLOADED.format("")
    assert questions == ["tiny:q4_k_m (50 MB) is not downloaded. Download it now?"]


def test_a_yes_goes_on_to_the_hub_which_must_answer(unreachable_hub):
    for yes, ask in ((False, lambda question: True), (True, never_asked)):
        with pytest.raises(LlamaxError) as caught:
            model_path("tiny", yes=yes, note=print, ask=ask)
        assert str(caught.value) == NOT_DOWNLOADED.format(
            f" and {unreachable_hub} is not reachable")


def test_an_unknown_model_is_a_usage_error(registry_home):
    with pytest.raises(UsageError, match="unknown model 'no-such-model'"):
        model_path("no-such-model", yes=True, note=print)


# -- open_engine: what is refused before any engine starts ---------------------------------------

def test_beams_need_a_local_model(registry_home):
    with pytest.raises(UsageError, match="beam search .* needs a local model"):
        open_engine("far", {"beams": 2})


def test_contradicting_settings_are_refused_before_the_model_is_looked_for(registry_home):
    with pytest.raises(UsageError, match="--deterministic cannot use repacked weights"):
        open_engine("missing.gguf", {"deterministic": True, "repack": True})


def test_a_units_text_does_not_depend_on_parallel_even_when_retried(llamax, tmp_path):
    # The language check retries the test model's wrong-language answers with a beam search
    # of RETRY_BEAMS; --parallel 1 keeps sequences for it (a penalty retry before), and the
    # fast kernels give this model a KV stream per sequence: the same text either way.
    doc = tmp_path / "en.txt"
    doc.write_text("The weather is nice today.\nWe met at the station at noon.\n"
                   "She reads a book every week.\nThe shop closes early on Sundays.\n")

    def run(parallel):
        proc = llamax("translate", "--from", "en", "--to", "fr", "--parallel", parallel,
                      "--max-tokens", "12", "--json", "--no-server", doc,
                      env={"LLAMAX_CHECK_LANGUAGE": "1"})
        assert proc.returncode in (0, 3), proc.stderr
        return [json.loads(line) for line in proc.stdout.splitlines()]

    one, four = run(1), run(4)
    assert [r["translation"] for r in one] == [r["translation"] for r in four]
    assert len(one) == 4 and any(r["attempts"] > 1 for r in one)  # something was retried
