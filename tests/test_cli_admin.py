"""cli/admin.py: `llamax config show|set|unset` through the real CLI in the tests' isolated
config dir (tests/test_core_config.py checks precedence and bad values), and `llamax models`'
rendering of the user's own entries, in-process (tests/test_models.py pulls, lists and
removes hub models end to end)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import assert_one_line_error
from typer.testing import CliRunner

from llamax_cli.cli import admin
from llamax_cli.core import config


def test_config_set_show_and_unset(llamax, cli_env):
    path = Path(cli_env["XDG_CONFIG_HOME"]) / "llamax" / "config.toml"
    proc = llamax("config", "set", "threads", "3")
    assert proc.returncode == 0 and proc.stdout == b""
    assert proc.stderr.decode() == f"llamax: threads = 3 (in {path})\n"
    # A negative number is a value here, not an unknown option.
    assert llamax("config", "set", "gpu_layers", "-1").returncode == 0
    assert path.read_text().splitlines() == [
        "# llamax settings: `llamax config show` lists them; LLAMAX_* variables override.",
        "threads = 3", "gpu_layers = -1"]

    shown = llamax("config", "show")
    assert shown.returncode == 0  # (the file's line may be wrapped: see the xfail below)
    assert "".join(shown.stderr.decode().split()) == f"file:{path}"
    rows = {line.split()[0]: line for line in shown.stdout.decode().splitlines()}
    assert list(rows) == list(config.SETTINGS)  # every setting, in its order
    assert rows["threads"].split() == ["threads", "3", "(config", "file)"]
    assert rows["gpu_layers"].split() == ["gpu_layers", "-1", "(config", "file)"]
    assert rows["model"].split() == ["model", cli_env["LLAMAX_MODEL"], "(env", "LLAMAX_MODEL)"]
    assert rows["repack"].split() == ["repack", "auto", "(default)"]
    assert rows["ctx"].split() == ["ctx", "-", "(default)"]
    width = len(max(config.SETTINGS, key=len))
    assert {line.index(line.split()[1]) for line in rows.values()} == {width + 1}  # aligned

    proc = llamax("config", "unset", "threads")
    assert proc.returncode == 0 and proc.stdout == b"" and proc.stderr == b""
    assert path.read_text().splitlines()[1:] == ["gpu_layers = -1"]


def test_config_unset_of_an_unknown_setting_is_a_usage_error(llamax, cli_env):
    err = assert_one_line_error(llamax("config", "unset", "colour"), 2)
    assert err.startswith("llamax: error: unknown setting 'colour'; known: model, to, from,")
    assert not (Path(cli_env["XDG_CONFIG_HOME"]) / "llamax").exists()  # nothing written


def test_config_show_names_its_file_on_one_line(llamax, tmp_path):
    # Found by writing this test: rich printed the line at 80 columns when stderr was piped,
    # cutting a long path in two; a bracket in the path was read as markup.
    path = tmp_path / ("a-long-folder-[name]-" * 4) / "config.toml"
    # COLUMNS="" : whatever width this test's own terminal has, the CLI's is unknown.
    shown = llamax("config", "show", env={"LLAMAX_CONFIG": str(path), "COLUMNS": ""})
    assert shown.returncode == 0 and shown.stderr.decode() == f"file: {path}\n"


# -- models, in-process ---------------------------------------------------------------------------

@pytest.fixture
def user_models(tmp_path, monkeypatch) -> Path:
    """A config dir of the test's own whose models.toml has a local file and a server."""
    for name in list(os.environ):
        if name.startswith(("LLAMAX_", "HF_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "300")  # rich would wrap the long paths at 80
    weights = tmp_path / "mine.gguf"
    weights.write_bytes(b"GGUF" + bytes(1000))
    folder = tmp_path / "config" / "llamax"
    folder.mkdir(parents=True)
    (folder / "models.toml").write_text(f'''
[models.mine]
description = "my own fine-tune"
path = "{weights}"
context = 2048

[models.far]
description = "a model on a server"
api_base = "http://gpu-box:8000/v1"
api_model = "llamax3"
''')
    return weights


def invoke(*args):
    return CliRunner().invoke(admin.models_app, list(args))


def test_models_list_json_shows_the_users_entries(user_models):
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["mine"] == {"name": "mine", "default": False, "size": 0, "downloaded": True,
                            "path": str(user_models), "repo": None, "api_base": None,
                            "description": "my own fine-tune"}
    assert rows["far"]["api_base"] == "http://gpu-box:8000/v1" and not rows["far"]["downloaded"]
    assert [name for name, row in rows.items() if row["default"]] == ["llamax3-8b-alpaca:q4_k_m"]


def test_models_info_and_path_of_a_local_entry(user_models):
    info = invoke("info", "mine")
    assert info.exit_code == 0, info.output
    lines = info.stdout.splitlines()
    assert lines[0] == "mine  my own fine-tune"
    assert f"source: local file {user_models}" in lines and "context: 2048 tokens" in lines
    assert invoke("info", "far").stdout.splitlines()[1] == (
        "source: server http://gpu-box:8000/v1 (model llamax3)")
    path = invoke("path", "mine")
    assert path.exit_code == 0 and path.stdout == f"{user_models}\n"


def test_models_never_removes_or_pulls_what_it_did_not_download(user_models):
    removed = invoke("rm", "mine")
    assert removed.exit_code == 1 and user_models.exists()
    assert "llamax does not delete files it did not download" in str(removed.exception)
    pulled = invoke("pull", "far")
    assert pulled.exit_code == 1 and "nothing to pull" in str(pulled.exception)
