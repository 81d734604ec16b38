"""cli/app.py: the `llamax` program itself: its version, its commands in --help order, usage
errors, and the guard that keeps broken pipes, Ctrl-C and OS errors away from click."""

from __future__ import annotations

import errno

import pytest

from llamax_cli import __version__
from llamax_cli.cli import app
from llamax_cli.core.errors import Interrupted, LlamaxError, OutputClosed

COMMANDS = ["translate", "detect", "languages", "serve", "doctor", "eval", "models", "config", "memory"]


def test_version(llamax):
    proc = llamax("--version")
    assert proc.returncode == 0 and proc.stderr == b""
    assert proc.stdout.decode() == f"llamax {__version__}\n"


def test_help_lists_the_commands_in_order_with_their_summaries(llamax):
    proc = llamax("--help")
    assert proc.returncode == 0 and proc.stderr == b""
    out = proc.stdout.decode()
    assert out.startswith("Usage: llamax [OPTIONS] COMMAND [ARGS]...")
    assert "--version" in out and "--debug" in out and "-h, --help" in out
    listed = out.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listed if line.strip()] == COMMANDS
    assert all(len(line.split()) > 1 for line in listed if line.strip())  # each says what


def test_an_unknown_command_is_a_usage_error(llamax):
    proc = llamax("translat")
    assert proc.returncode == 2 and proc.stdout == b""
    err = proc.stderr.decode()
    assert "No such command 'translat'" in err and "Traceback" not in err


def guarded_raise(exc: BaseException):
    def command():
        raise exc

    return app.guarded(command)


@pytest.mark.parametrize("raised, expected", [
    (BrokenPipeError(), OutputClosed), (KeyboardInterrupt(), Interrupted),
])
def test_the_guard_turns_a_broken_pipe_and_ctrl_c_into_the_apps_own(raised, expected):
    with pytest.raises(expected) as caught:
        guarded_raise(raised)()
    if expected is Interrupted:
        assert caught.value.signum == 2  # Ctrl-C: exit 130


def test_the_guard_turns_os_errors_into_one_line_messages():
    with pytest.raises(LlamaxError) as caught:
        guarded_raise(OSError(errno.ENOSPC, "No space left on device", "out/notes.txt"))()
    assert str(caught.value) == "out/notes.txt: No space left on device"
    with pytest.raises(LlamaxError) as caught:
        guarded_raise(OSError(errno.ENOSPC, "No space left on device"))()
    assert str(caught.value) == "cannot write stdout: No space left on device"


def test_the_guard_passes_results_and_other_errors_through():
    assert app.guarded(lambda x, y=1: x + y)(1, y=2) == 3
    with pytest.raises(ValueError):
        guarded_raise(ValueError("a bug"))()
    mine = LlamaxError("model file not found")
    with pytest.raises(LlamaxError) as caught:
        guarded_raise(mine)()
    assert caught.value is mine
