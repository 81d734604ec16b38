"""The `llamax` command line: parse, call the pipeline, render. No translation logic here."""

from __future__ import annotations

import functools
import os
import signal
import sys

import typer

from llamax_cli import __version__
from llamax_cli.cli import admin, detect
from llamax_cli.cli import eval as eval_cli  # the module is named after its command
from llamax_cli.cli import languages, memory, serve, streams, translate
from llamax_cli.cli.streams import warn
from llamax_cli.core.errors import DoneWithProblems, Interrupted, LlamaxError, OutputClosed
from llamax_cli.core.interrupts import unwind_on_termination_signals

app = typer.Typer(
    name="llamax",
    help="Translate text between 102 languages with LLaMAX models, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help renderer alone costs ~90 ms at start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


def guarded(command):
    """Keep broken pipes and Ctrl-C away from click, which would misreport them."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:
            raise OutputClosed() from None
        except KeyboardInterrupt:
            raise Interrupted() from None
        except OSError as exc:  # stdout on a full disk; anything no command turned into a message
            raise _os_error(exc) from None

    return wrapper


def _os_error(exc: OSError) -> LlamaxError:
    if exc.filename:
        return LlamaxError(f"{exc.filename}: {exc.strerror}")
    return LlamaxError(f"cannot write stdout: {exc.strerror or exc}")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llamax {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    # LLAMAX_DEBUG is read by main(): any value but "" and "0" (click would refuse "yes").
    debug: bool = typer.Option(False, "--debug",
                               help="Show tracebacks on errors (or LLAMAX_DEBUG=1)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    _state["debug"] = debug or os.environ.get("LLAMAX_DEBUG", "") not in ("", "0")



def _register_commands() -> None:
    """Each command lives in its own module; here they join the app, in `--help` order."""
    app.command("translate", short_help="Translate files, stdin or --text (streams to stdout).")(
        guarded(translate.translate_command))
    app.command("detect", short_help="Detect the language of text ('und' when unsure).")(
        guarded(detect.detect_command))
    app.command("languages", short_help="List the 102 languages and their codes.")(
        guarded(languages.languages_command))
    app.command("serve", short_help="Serve the LibreTranslate API on a warm model.")(
        guarded(serve.serve_command))
    app.add_typer(admin.models_app, name="models")
    app.add_typer(admin.config_app, name="config")
    app.add_typer(memory.memory_app, name="memory")
    app.command(short_help="Check versions, backends, devices, memory and models.")(
        guarded(admin.doctor))
    app.command("eval", short_help="Score translations: chrF, chrF++, BLEU, spBLEU (sacrebleu).")(
        guarded(eval_cli.eval_command))
    for group in (admin.models_app, admin.config_app, memory.memory_app):
        for command in group.registered_commands:
            command.callback = guarded(command.callback)


_register_commands()


def main() -> None:
    """Entry point: map every failure to its exit code and one line on stderr.

    typer handles usage errors itself (exit 2, with the usage line); everything else that
    can go wrong arrives here as one of our exceptions.
    """
    debug = os.environ.get("LLAMAX_DEBUG", "") not in ("", "0") or "--debug" in sys.argv
    streams.use_utf8()  # whatever the locale says: a translation is no ASCII
    unwind_on_termination_signals()
    try:
        app(prog_name="llamax")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        _flush_or_silence()
        _exit(code)
    except (Interrupted, KeyboardInterrupt) as exc:
        if debug:
            raise
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        warn("interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}")
        _exit(128 + signum)
    except (OutputClosed, BrokenPipeError):
        # The reader went away (`| head -1`): stop quietly, as a Unix filter does.
        streams.silence_stdout()
        _exit(141)
    except DoneWithProblems as exc:
        streams.silence_stdout_if_broken()
        warn(str(exc))
        _exit(exc.exit_code)
    except LlamaxError as exc:
        if debug:
            raise
        streams.silence_stdout_if_broken()
        warn(f"error: {exc}")
        _exit(exc.exit_code)


def _exit(code: int) -> None:
    sys.exit(code)


def _flush_or_silence() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        streams.silence_stdout()
        _exit(141)
    except OSError as exc:
        streams.silence_stdout()
        warn(f"error: {_os_error(exc)}")
        _exit(1)


if __name__ == "__main__":
    main()
