"""models/registry.py, function by function: the packaged registry and the user's entries,
names and paths, the resolution order of --model, and the messages. No network, and a config
dir of the test's own (tests/test_models.py runs the `llamax models` commands end to end)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.models import registry

NEVER_PULLED = "test-org/Never-Pulled-GGUF"  # a repo no cache on this machine holds

USER_REGISTRY = f'''
default = "mine"

[models.Mine]
description = "a local file"
path = "$LLAMAX_TEST_MODELS/mine.gguf"

[models.far]
description = "a model on a server"
api_base = "http://gpu-box:8000/v1/"
api_model = "llamax3"

[models.tiny]
description = "a small repo model"
repo = "{NEVER_PULLED}"
[models.tiny.files]
q8_0 = {{ file = "tiny.Q8_0.gguf", size = 300000000, sha256 = "{'a' * 64}" }}
Q4_K_M = {{ file = "tiny.Q4_K_M.gguf", size = 50000000 }}
'''


@pytest.fixture
def config_home(tmp_path, monkeypatch) -> Path:
    """An empty config dir of the test's own, and no LLAMAX_*/HF_* settings from outside."""
    for name in list(os.environ):
        if name.startswith(("LLAMAX_", "HF_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "config" / "llamax"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def user_registry(config_home, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LLAMAX_TEST_MODELS", str(tmp_path / "models"))
    (config_home / "models.toml").write_text(USER_REGISTRY)
    return config_home / "models.toml"


def test_the_packaged_registry_loads_with_its_default(config_home):
    reg = registry.load()
    assert reg.problems == []
    assert reg.default == "llamax3-8b-alpaca" and reg.default in reg.entries
    entry = reg.entries["llamax3-8b-alpaca"]
    assert not entry.user and not entry.local and not entry.remote
    assert entry.repo and entry.default_quant in entry.files
    assert all(quant == quant.upper() == f.quant for quant, f in entry.files.items())


def test_user_entries_join_the_registry_in_each_of_their_forms(user_registry, tmp_path):
    assert registry.user_registry_path() == user_registry
    reg = registry.load()
    assert reg.problems == [] and reg.default == "mine"
    assert "llamax3-8b-alpaca" in reg.entries  # the packaged ones stay
    mine, far, tiny = reg.entries["mine"], reg.entries["far"], reg.entries["tiny"]  # lowercased
    assert mine.user and mine.local and not mine.remote
    assert mine.files[registry.LOCAL].file == str(tmp_path / "models" / "mine.gguf")  # $VAR
    assert far.remote and not far.local and far.api_base == "http://gpu-box:8000/v1"
    assert far.api_model == "llamax3" and far.default_quant == registry.REMOTE
    assert tiny.repo == NEVER_PULLED and set(tiny.files) == {"Q8_0", "Q4_K_M"}
    assert tiny.default_quant == "Q8_0"  # the first listed, when none is named


def test_a_broken_user_registry_is_a_problem_not_a_failure(config_home):
    (config_home / "models.toml").write_text("[models.x\n")
    reg = registry.load()
    assert "llamax3-8b-alpaca" in reg.entries
    assert len(reg.problems) == 1 and "models.toml: ignored" in reg.problems[0]


@pytest.mark.parametrize("name, is_path", [
    ("model.gguf", True), ("MODEL.GGUF", True), ("models/x", True), ("~/m", True),
    ("./m", True), ("../m", True), ("llamax3-8b-alpaca", False),
    ("llamax3-8b-alpaca:q8_0", False),
])
def test_looks_like_path(name, is_path):
    assert registry.looks_like_path(name) is is_path


def test_lookup_takes_a_quant_in_any_case_and_labels_the_file(user_registry):
    ref = registry.lookup("tiny:q4_k_m")
    assert ref.file.file == "tiny.Q4_K_M.gguf" and ref.label == "tiny:q4_k_m"
    assert registry.lookup("TINY").file.quant == "Q8_0"
    assert registry.lookup("mine").label == "mine"  # a local or remote entry: just its name
    assert registry.lookup("far").label == "far"


@pytest.mark.parametrize("name, message", [
    ("nonesuch", "unknown model 'nonesuch': give a .gguf path or one of: "),
    ("weights.gguf", "'weights.gguf' is a file, not a registry name"),
    ("tiny:q2_k", "tiny has no quantization 'q2_k'; known: q8_0, q4_k_m"),
])
def test_lookup_errors_are_usage_errors_that_list_what_exists(user_registry, name, message):
    with pytest.raises(UsageError) as caught:
        registry.lookup(name)
    assert str(caught.value).startswith(message)
    if "one of" in message:  # every name, sorted, the user's among them
        known = str(caught.value).split("one of: ")[1].split(", ")
        assert known == sorted(known) and {"far", "mine", "tiny", "llamax3-8b-alpaca"} <= set(known)


def test_chosen_name_goes_flag_then_env_then_config_then_default(config_home, monkeypatch):
    assert registry.chosen_name() == "llamax3-8b-alpaca"
    (config_home / "config.toml").write_text('model = "from-file"\n')
    assert registry.chosen_name() == "from-file"
    monkeypatch.setenv("LLAMAX_MODEL", "from-env")
    assert registry.chosen_name() == "from-env"
    assert registry.chosen_name("from-flag") == "from-flag"


def test_cached_path_needs_no_network(user_registry, tmp_path):
    assert registry.cached_path(registry.lookup("far")) is None
    assert registry.cached_path(registry.lookup("mine")) == tmp_path / "models" / "mine.gguf"
    assert registry.cached_path(registry.lookup("tiny")) is None  # never pulled


def test_resolve_a_path_a_local_entry_and_a_model_not_downloaded(user_registry, tmp_path):
    path = registry.resolve("~/weights.gguf")
    assert path.path == Path.home() / "weights.gguf" and path.ref is None
    assert path.label == "~/weights.gguf"
    local = registry.resolve("mine")
    assert local.path == tmp_path / "models" / "mine.gguf" and local.label == "mine"
    missing = registry.resolve("tiny:q4_k_m")
    assert missing.path is None and missing.label == "tiny:q4_k_m"
    assert missing.ref.file.file == "tiny.Q4_K_M.gguf"
    assert registry.resolve().label == "mine"  # the user's registry default


@pytest.mark.parametrize("size, label", [
    (4_920_000_000, "4.9 GB"), (100_000_000, "0.1 GB"), (50_000_000, "50 MB"),
    (1, "0 MB"), (0, "size unknown"),
])
def test_size_label(size, label):
    assert registry.size_label(size) == label


def test_not_downloaded_error_names_the_pull_command(user_registry):
    exc = registry.not_downloaded_error(registry.lookup("tiny"), " (pass --yes)")
    assert isinstance(exc, LlamaxError) and exc.exit_code == 1
    assert str(exc) == ("model tiny:q8_0 (0.3 GB) is not downloaded (pass --yes); "
                        "get it with `llamax models pull tiny:q8_0`")
