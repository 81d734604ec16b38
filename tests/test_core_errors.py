"""core/errors.py: each error's exit code, its message, and which are LlamaxErrors (the CLI
turns those into one line on stderr; the others have their own exits)."""

from __future__ import annotations

import signal

import pytest

from llamax_cli.core.errors import (
    Busy,
    Cancelled,
    DoneWithProblems,
    EngineStopped,
    Interrupted,
    LlamaxError,
    OutputClosed,
    UsageError,
)


@pytest.mark.parametrize("cls, code", [
    (LlamaxError, 1),
    (UsageError, 2),
    (Busy, 1),
    (Cancelled, 1),
    (EngineStopped, 1),
    (DoneWithProblems, 3),
])
def test_each_error_has_its_exit_code_and_keeps_its_message(cls, code):
    exc = cls("the model file is missing")
    assert isinstance(exc, LlamaxError)
    assert exc.exit_code == code and cls.exit_code == code
    assert str(exc) == "the model file is missing"


def test_a_raised_subclass_is_caught_as_a_llamax_error_with_its_own_code():
    with pytest.raises(LlamaxError) as caught:
        raise UsageError("--to is missing")
    assert caught.value.exit_code == 2 and str(caught.value) == "--to is missing"


@pytest.mark.parametrize("cls", [OutputClosed, Interrupted])
def test_a_closed_output_and_an_interrupt_are_not_llamax_errors(cls):
    # main() gives them their own exits (141, 128 + signal): a LlamaxError handler must not
    # take them for a plain failure.
    assert not issubclass(cls, LlamaxError)
    assert not hasattr(cls, "exit_code")


def test_interrupted_says_which_signal_and_defaults_to_ctrl_c():
    assert Interrupted().signum == signal.SIGINT == 2
    assert Interrupted(signal.SIGTERM).signum == 15
    assert Interrupted(signal.SIGHUP).args == (signal.SIGHUP,)
