"""Errors that reach the user as one line on stderr, each with its exit code."""


class LlamaxError(Exception):
    """A runtime failure: exit 1 with the message, no traceback."""

    exit_code = 1


class UsageError(LlamaxError):
    """The command line asked for something impossible: exit 2."""

    exit_code = 2


class OutputClosed(Exception):
    """The reader of stdout went away (`| head -1`). Raised instead of BrokenPipeError,
    which click would swallow with exit 1."""


class Interrupted(Exception):
    """Ctrl-C. Raised instead of KeyboardInterrupt, which click would turn into "Aborted!"."""
