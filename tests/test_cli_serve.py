"""cli/serve.py: `llamax serve`'s options and help, and bad values refused before anything
starts (no server runs here: tests/test_server*.py start real ones, and
tests/test_server_edge.py refuses bad --public-url, --file-store and --cors-origins)."""

from __future__ import annotations

import re

from conftest import assert_one_line_error

OPTIONS = ["--model", "--host", "--port", "--api-keys", "--char-limit", "--batch-limit",
           "--queue", "--grace", "--cors-origins", "--public-url", "--file-ttl", "--file-store",
           "--threads", "--gpu-layers", "--ctx", "--parallel", "--beams", "--glossary",
           "--deterministic", "--api-base", "--api-model", "--remote-parallel",
           "--remote-timeout", "--memory", "--no-memory", "--yes", "--verbose", "--help"]


def test_help_lists_every_option_in_order_with_the_defaults_and_examples(llamax):
    proc = llamax("serve", "--help")
    assert proc.returncode == 0 and proc.stderr == b""
    out = proc.stdout.decode()
    assert out.startswith("Usage: llamax serve [OPTIONS]")
    options = out.split("\nOptions:\n")[1]
    listed = re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", options, re.M)
    assert listed == OPTIONS
    flat = " ".join(options.split())  # help text wraps at the terminal's width
    for default in ("[default: 127.0.0.1]", "[default: 5000; 1<=x<=65535]", "[default: 256M]",
                    "[default: 30.0; x>=0]", "[default: *]", "[default: 1800; x>=0]"):
        assert default in flat, default
    assert "llamax serve --port 8080 --api-keys keys.txt" in out  # the examples


def test_a_bad_engine_setting_is_one_line_and_exit_2_before_anything_starts(llamax):
    # Before the model is looked for: a missing model would be exit 1, "model file not found".
    proc = llamax("serve", "--ctx", "1", "--model", "missing.gguf", timeout=60)
    assert assert_one_line_error(proc, 2) == ("llamax: error: --ctx 1: must be at least 256 "
                                              "(the prompt template alone takes about 100 "
                                              "tokens), got 1")
    assert proc.stdout == b""


def test_an_out_of_range_port_is_clicks_usage_error(llamax):
    proc = llamax("serve", "--port", "0", timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err
    assert "Invalid value for '--port'" in err


def test_a_bad_from_setting_stops_the_server_at_start_not_each_request(llamax):
    # Requests that ask for source "auto" fall back on the `from` setting when detection is
    # unsure (Translator.choose_source): a bad one would otherwise be a 500 on each of them.
    proc = llamax("serve", "--model", "missing.gguf", env={"LLAMAX_FROM": "zzq"}, timeout=60)
    assert assert_one_line_error(proc, 2) == ("llamax: error: LLAMAX_FROM=zzq: unknown language "
                                              "'zzq'; see `llamax languages`")
