"""Settings precedence, through the real CLI: flag > LLAMAX_* env > config file > default; and
the engine settings, listed, resolved and checked once in config.py."""

import ast
import json
from pathlib import Path

import pytest
from conftest import assert_one_line_error

from llamax_cli.core import config
from llamax_cli.core.errors import UsageError


def settings(llamax, env=None):
    proc = llamax("config", "show", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return {row["key"]: (row["value"], row["source"]) for row in map(json.loads, proc.stdout.decode().splitlines())}


def dry_run_target(llamax, *flags, env=None):
    proc = llamax("translate", "--from", "en", "--dry-run", *flags, "-t", "Hello", env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().split(" to ")[1].split(".")[0]


def test_precedence_flag_over_env_over_file_over_default(llamax):
    env = {"LLAMAX_MODEL": "", "LLAMAX_TO": ""}
    assert settings(llamax, env)["to"] == (None, "default")
    assert "missing --to" in assert_one_line_error(
        llamax("translate", "--from", "en", "--dry-run", "-t", "Hello", env=env), code=2)

    assert llamax("config", "set", "to", "German", env=env).returncode == 0
    assert settings(llamax, env)["to"] == ("de", "config file")
    assert dry_run_target(llamax, env=env) == "German"

    env_fr = {**env, "LLAMAX_TO": "fr"}
    assert settings(llamax, env_fr)["to"] == ("fr", "env LLAMAX_TO")
    assert dry_run_target(llamax, env=env_fr) == "French"

    assert dry_run_target(llamax, "--to", "es", env=env_fr) == "Spanish (Latin American)"


def test_model_and_numbers_follow_the_same_order(llamax, tmp_path):
    env = {"LLAMAX_MODEL": "", "LLAMAX_THREADS": ""}
    assert settings(llamax, env)["model"] == (None, "default")
    llamax("config", "set", "model", "llamax2-7b-alpaca:q8_0", env=env)
    llamax("config", "set", "threads", "3", env=env)
    values = settings(llamax, env)
    assert values["model"] == ("llamax2-7b-alpaca:q8_0", "config file")
    assert values["threads"] == (3, "config file")
    # `models path` follows the chosen model: the config file's, then the env's.
    err = assert_one_line_error(llamax("models", "path", env=env))
    assert "llamax2-7b-alpaca:q8_0" in err
    err = assert_one_line_error(llamax("models", "path", env={**env, "LLAMAX_MODEL": "llamax3-8b-alpaca:q2_k"}))
    assert "llamax3-8b-alpaca:q2_k" in err
    assert settings(llamax, {**env, "LLAMAX_THREADS": "5"})["threads"] == (5, "env LLAMAX_THREADS")
    assert llamax("config", "unset", "threads", env=env).returncode == 0
    assert settings(llamax, env)["threads"] == (None, "default")


def test_bad_settings_are_refused(llamax):
    assert "unknown setting" in assert_one_line_error(llamax("config", "set", "colour", "blue"), 2)
    assert "expected a whole number" in assert_one_line_error(llamax("config", "set", "threads", "many"), 2)
    assert "unknown language" in assert_one_line_error(llamax("config", "set", "to", "Elvish"), 2)


def test_a_broken_config_file_is_one_clear_error(llamax, cli_env):
    from pathlib import Path

    path = Path(cli_env["XDG_CONFIG_HOME"]) / "llamax" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("to = [unclosed")
    assert "cannot read the config file" in assert_one_line_error(llamax("config", "show"))


def test_repack_takes_auto_and_deterministic_is_a_setting(llamax):
    assert settings(llamax)["repack"] == (None, "default")
    assert llamax("config", "set", "repack", "off").returncode == 0
    assert settings(llamax)["repack"] == (False, "config file")
    proc = llamax("config", "set", "repack", "auto")
    assert proc.returncode == 0 and "repack = auto" in proc.stderr.decode()
    assert settings(llamax)["repack"] == (None, "default")
    assert "expected auto, true or false" in assert_one_line_error(
        llamax("config", "set", "repack", "sometimes"), 2)
    assert llamax("config", "set", "deterministic", "true").returncode == 0
    assert settings(llamax)["deterministic"] == (True, "config file")


def test_deterministic_refuses_repacked_weights(llamax):
    err = assert_one_line_error(llamax("translate", "--from", "en", "--to", "fr", "-t", "Hello",
                                       "--deterministic", env={"LLAMAX_REPACK": "1"}), 2)
    assert "--deterministic cannot use repacked weights" in err


def test_from_takes_auto_like_the_flag(llamax):
    proc = llamax("translate", "--to", "fr", "--dry-run", "-t", "Good morning, my friend.",
                  env={"LLAMAX_FROM": "auto"})
    assert proc.returncode == 0, proc.stderr
    assert "from English to French" in proc.stdout.decode()
    assert llamax("config", "set", "from", "auto").returncode == 0
    assert settings(llamax)["from"] == ("auto", "config file")


def test_a_bad_environment_value_does_not_hide_the_other_settings(llamax):
    shown = settings(llamax, env={"LLAMAX_FROM": "xx", "LLAMAX_TO": "de"})
    assert shown["from"][0] is None and "unknown language 'xx'" in shown["from"][1]
    assert shown["to"] == ("de", "env LLAMAX_TO")


# -- engine settings: listed once, resolved and checked once (config.engine_settings) ---------


@pytest.fixture
def no_settings(monkeypatch, tmp_path):
    """No LLAMAX_* variable and an empty config file, whatever the machine has."""
    for key in config.SETTINGS.values():
        monkeypatch.delenv(key.env, raising=False)
    monkeypatch.setenv("LLAMAX_CONFIG", str(tmp_path / "config.toml"))
    return tmp_path / "config.toml"


def test_engine_settings_resolve_every_engine_setting_flag_over_env_over_file(
        no_settings, monkeypatch):
    assert all(key in config.SETTINGS for key in config.ENGINE_SETTINGS)
    assert config.engine_settings() == dict.fromkeys(config.ENGINE_SETTINGS)
    no_settings.write_text("parallel = 2\nctx = 512\n")
    monkeypatch.setenv("LLAMAX_PARALLEL", "3")
    settings = config.engine_settings(beams=4)
    assert (settings["parallel"], settings["ctx"], settings["beams"]) == (3, 512, 4)
    assert config.engine_settings(parallel=5)["parallel"] == 5
    with pytest.raises(TypeError, match="unknown setting.*paralel"):
        config.engine_settings(paralel=2)


def test_a_bad_engine_setting_has_one_message_whatever_its_source(no_settings, monkeypatch):
    with pytest.raises(UsageError, match=r"^--parallel 0: must be at least 1, got 0$"):
        config.engine_settings(parallel=0)
    monkeypatch.setenv("LLAMAX_PARALLEL", "0")
    with pytest.raises(UsageError, match=r"^LLAMAX_PARALLEL=0: must be at least 1, got 0$"):
        config.engine_settings()
    monkeypatch.delenv("LLAMAX_PARALLEL")
    no_settings.write_text("parallel = 0\n")
    with pytest.raises(UsageError, match=r"^parallel = 0 in .*config.toml: must be at least 1"):
        config.engine_settings()
    # a server request's value: the same limits, its source named by the server
    with pytest.raises(UsageError, match=r"^must be at most 16, got 17$"):
        config.check_value("beams", 17)
    assert config.check_value("beams", "3") == 3


def test_engine_settings_that_contradict_each_other_are_refused(no_settings, monkeypatch):
    monkeypatch.setenv("LLAMAX_REPACK", "1")
    with pytest.raises(UsageError, match="--deterministic cannot use repacked weights"):
        config.engine_settings(deterministic=True)
    monkeypatch.setenv("LLAMAX_REPACK", "0")
    monkeypatch.setenv("LLAMAX_KV_CACHE", "q8_0")
    with pytest.raises(UsageError, match="cannot use a q8_0 KV cache"):
        config.engine_settings(deterministic=True)
    assert config.engine_settings(deterministic=False)["kv_cache"] == "q8_0"


def test_no_module_but_config_lists_the_engine_settings():
    # A tuple, list, set or dict naming four engine settings or more is a second list of
    # them, which the next setting would be missing from (there were four such lists).
    package = Path(config.__file__).resolve().parent.parent
    lists = []
    for path in sorted(package.rglob("*.py")):
        if path == Path(config.__file__).resolve():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                named = {inner.value for inner in ast.walk(node)
                         if isinstance(inner, ast.Constant) and inner.value in
                         config.ENGINE_SETTINGS}
                if len(named) >= 4:
                    lists.append(f"{path.relative_to(package)}:{node.lineno}")
    assert lists == []
