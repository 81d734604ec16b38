"""Errors that reach the user as one line on stderr, each with its exit code."""


class LlamaxError(Exception):
    """A runtime failure: exit 1 with the message, no traceback."""

    exit_code = 1


class UsageError(LlamaxError):
    """The command line asked for something impossible: exit 2."""

    exit_code = 2


class Busy(LlamaxError):
    """The engine's queue is full: try again later (the server answers 429)."""


class Cancelled(LlamaxError):
    """The caller went away (a client disconnected, a server stopping): the work was dropped."""


class EngineStopped(LlamaxError):
    """The engine was stopped (the server is shutting down) while this request waited or ran."""


class DoneWithProblems(LlamaxError):
    """Everything was written, but some units need a look (truncated, degenerate, a dropped
    protected span, ...): exit 3, after a one-line summary that is not an error."""

    exit_code = 3


class OutputClosed(Exception):
    """The reader of stdout went away (`| head -1`). Raised instead of BrokenPipeError,
    which click would swallow with exit 1."""


class Interrupted(Exception):
    """Ctrl-C, or SIGTERM/SIGHUP. Raised instead of KeyboardInterrupt, which click would turn
    into "Aborted!". Exits 128 + the signal's number, as a shell reports it."""

    def __init__(self, signum: int = 2):
        super().__init__(signum)
        self.signum = signum
