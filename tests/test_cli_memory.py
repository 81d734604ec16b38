"""cli/memory.py: `llamax memory stats | clear | export | import` through the real CLI, with
the user's cache folder isolated in the test's (cli_env sets XDG_CACHE_HOME)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from lxml import etree

from conftest import assert_one_line_error
from llamax_cli.cli.memory import parse_age
from llamax_cli.core.errors import UsageError

DATA = Path(__file__).parent / "data"
OMEGAT = DATA / "omegat-calc-guide-preface.pt-BR.tmx"


@pytest.fixture
def default_memory(tmp_path) -> Path:
    return tmp_path / "cache" / "llamax" / "memory.sqlite3"


def stats(llamax, *args) -> dict:
    done = llamax("memory", *args, "stats", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_stats_of_no_memory_yet_are_zero_and_create_nothing(llamax, default_memory):
    assert stats(llamax) == {"path": str(default_memory), "entries": 0, "imported": 0,
                             "pairs": [], "bytes": 0, "oldest": None, "newest": None}
    assert not default_memory.exists()
    done = llamax("memory", "stats")
    assert done.returncode == 0 and b"entries  0 (0 imported)" in done.stdout


def test_import_a_cat_tools_tmx_into_the_default_memory(llamax, default_memory):
    done = llamax("memory", "import", OMEGAT)
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    assert f"llamax: imported 208 entries from {OMEGAT} into {default_memory}" in err
    assert "21 unit(s) without a source or a translation" in err
    assert stat.S_IMODE(default_memory.stat().st_mode) == 0o600
    seen = stats(llamax)
    assert (seen["entries"], seen["imported"], seen["pairs"]) == \
        (208, 208, [{"from": "en", "to": "pt", "entries": 208}])
    assert seen["bytes"] > 0 and seen["oldest"] <= seen["newest"]
    human = llamax("memory", "stats").stdout.decode()
    assert "entries  208 (208 imported)" in human and "en -> pt" in human


def test_export_is_valid_tmx14_and_imports_into_another_memory(llamax, tmp_path):
    assert llamax("memory", "import", OMEGAT).returncode == 0
    out = tmp_path / "out.tmx"
    done = llamax("memory", "export", out)
    assert done.returncode == 0, done.stderr
    assert f"exported 208 translation units to {out}".encode() in done.stderr
    tree = etree.parse(str(out), etree.XMLParser(load_dtd=False, no_network=True))
    assert etree.DTD(str(DATA / "tmx14.dtd")).validate(tree)
    langs = {tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in tree.iter("tuv")}
    assert langs == {"en", "pt"}
    other = tmp_path / "project" / "tm.sqlite3"
    assert llamax("memory", "--memory", other, "import", out).returncode == 0  # on the group
    assert stats(llamax, "--memory", other)["entries"] == 208
    assert json.loads(llamax("memory", "stats", "--json", "--memory", other).stdout)[
        "entries"] == 208  # on the command


def test_clear_old_entries_then_all(llamax, default_memory):
    assert llamax("memory", "import", OMEGAT).returncode == 0
    done = llamax("memory", "clear", "--older-than", "12h")
    assert done.returncode == 0 and done.stderr == \
        f"llamax: removed 0 entries from {default_memory}\n".encode()
    done = llamax("memory", "clear")
    assert done.returncode == 0 and b"removed 208 entries" in done.stderr
    assert stats(llamax)["entries"] == 0


def test_clear_of_no_memory_creates_none(llamax, default_memory):
    done = llamax("memory", "clear")
    assert done.returncode == 0 and b"nothing to clear" in done.stderr
    assert not default_memory.exists()


@pytest.mark.parametrize("age", ["3x", "", "30", "-5d", "d", "1.5.2h"])
def test_a_bad_age_is_a_usage_error(llamax, age):
    error = assert_one_line_error(llamax("memory", "clear", "--older-than", age), 2)
    assert "--older-than" in error and "90m, 12h, 30d or 2w" in error


def test_ages_in_each_unit():
    assert [parse_age(a) for a in ("45s", "90m", "12h", "30d", "2w", "1.5H", " 7 d ")] == \
        [45, 5400, 43200, 30 * 86400, 14 * 86400, 5400, 7 * 86400]
    with pytest.raises(UsageError):
        parse_age("12 hours")


def test_unreadable_tmx_files_are_one_line_errors(llamax, tmp_path):
    error = assert_one_line_error(llamax("memory", "import", tmp_path / "missing.tmx"), 1)
    assert "cannot read" in error and "missing.tmx" in error
    (tmp_path / "bad.tmx").write_text("<html><body>not a memory</body></html>")
    error = assert_one_line_error(llamax("memory", "import", tmp_path / "bad.tmx"), 1)
    assert "is not a TMX file" in error
    (tmp_path / "cut.tmx").write_text(OMEGAT.read_text(encoding="utf-8")[:5000])
    assert_one_line_error(llamax("memory", "import", tmp_path / "cut.tmx"), 1)
    assert stats(llamax)["entries"] == 0  # all or nothing


def test_a_corrupt_memory_is_a_one_line_error_for_every_command(llamax, tmp_path):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is no database " * 500)
    for args in (["stats"], ["clear"], ["export", tmp_path / "x.tmx"], ["import", OMEGAT]):
        error = assert_one_line_error(llamax("memory", "--memory", broken, *args), 1)
        assert str(broken) in error and "not a translation memory" in error
    assert broken.read_bytes() == b"this is no database " * 500
    assert not (tmp_path / "x.tmx").exists()


def test_export_needs_a_memory_and_a_file_name(llamax, tmp_path):
    error = assert_one_line_error(llamax("memory", "export", tmp_path / "x.tmx"), 1)
    assert "does not exist: nothing to export" in error
    assert llamax("memory", "import", OMEGAT).returncode == 0
    error = assert_one_line_error(llamax("memory", "export", tmp_path), 1)
    assert "it is a folder" in error


def test_the_group_is_listed_in_the_help(llamax):
    done = llamax("--help")
    assert done.returncode == 0 and b"memory" in done.stdout
    done = llamax("memory", "--help")
    for command in (b"stats", b"clear", b"export", b"import", b"--memory"):
        assert command in done.stdout


def test_the_memory_setting_names_the_file_the_commands_use(llamax, tmp_path):
    # `config set memory PATH` (or LLAMAX_MEMORY=PATH) moves translate's memory: the
    # commands follow it, so `memory stats` shows what translate uses.
    from llamax_cli.service.tmx import Pair, write_tmx

    write_tmx(tmp_path / "one.tmx", [Pair("en", "fr", "Hello.", "Bonjour.")])
    own = tmp_path / "project" / "memory.db"
    imported = llamax("memory", "import", "one.tmx", env={"LLAMAX_MEMORY": str(own)})
    assert imported.returncode == 0, imported.stderr
    assert own.exists()
    stats = llamax("memory", "stats", "--json", env={"LLAMAX_MEMORY": str(own)})
    assert json.loads(stats.stdout)["imported"] == 1
