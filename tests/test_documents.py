"""Whole documents through the real CLI and real inference: formats, --parallel, guards."""

from conftest import assert_finished

import json
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"
LINES = [
    "The museum opens at nine in the morning.", "Tickets are cheaper for students.",
    "Please keep your bags in the lockers.", "Photography is allowed without flash.",
    "The café on the second floor serves lunch.", "Guided tours start every hour.",
    "Children under six enter for free.", "The garden is closed in winter.",
    "Audio guides are available in ten languages.", "The shop sells books and postcards.",
    "Lost items are kept at the front desk.", "Wheelchairs can be borrowed at the entrance.",
]


def records(proc):
    assert_finished(proc)
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def test_deterministic_parallel_8_gives_exactly_the_output_of_parallel_1(llamax, tmp_path):
    (tmp_path / "doc.txt").write_text("\n".join(LINES[:6]) + "\n\n" + "\n".join(LINES[6:]) + "\n")
    args = ("translate", "--from", "en", "--to", "de", "--max-tokens", "20", "-q",
            "--deterministic", "doc.txt")
    one = llamax(*args, "--parallel", "1")
    eight = llamax(*args, "--parallel", "8")
    assert_finished(one)
    assert_finished(eight)
    assert one.returncode == eight.returncode
    assert one.stdout == eight.stdout
    assert one.stdout.decode().count("\n") == len(LINES) + 1


def test_default_fast_kernels_give_complete_well_formed_output_at_every_parallel(llamax, tmp_path):
    (tmp_path / "doc.txt").write_text("\n".join(LINES[:6]) + "\n\n" + "\n".join(LINES[6:]) + "\n")
    for parallel in ("1", "8", "16"):
        proc = llamax("translate", "--from", "en", "--to", "de", "--max-tokens", "20", "--json",
                      "--parallel", parallel, "doc.txt")
        found = records(proc)
        assert [r["source"] for r in found] == LINES
        assert all(r["translation"].strip() for r in found if r["status"] == "ok")
        plain = llamax("translate", "--from", "en", "--to", "de", "--max-tokens", "20", "-q",
                       "--parallel", parallel, "doc.txt")
        assert_finished(plain)
        lines = plain.stdout.decode().split("\n")
        assert len(lines) == len(LINES) + 2 and lines[6] == "" and lines[-1] == ""


def test_srt_keeps_indices_timings_and_cue_count(llamax, tmp_path):
    source = (DATA / "sample.srt").read_text()
    (tmp_path / "movie.srt").write_text(source)
    proc = llamax("translate", "--from", "en", "--to", "es", "--max-tokens", "24", "-q",
                  "movie.srt", "-o", "movie.es.srt")
    assert_finished(proc)
    out = (tmp_path / "movie.es.srt").read_text()
    frame = re.compile(r"^(\d+|\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3})$", re.M)
    assert frame.findall(out) == frame.findall(source)
    assert out.count("\n\n") == source.count("\n\n")


def test_markdown_code_and_front_matter_come_back_byte_identical(llamax, tmp_path):
    source = (DATA / "sample.md").read_text()
    (tmp_path / "README.md").write_text(source)
    proc = llamax("translate", "--from", "en", "--to", "fr", "--max-tokens", "24", "--json",
                  "README.md")
    results = records(proc)
    proc = llamax("translate", "--from", "en", "--to", "fr", "--max-tokens", "24", "-q",
                  "README.md", "-o", "README.fr.md")
    out = (tmp_path / "README.fr.md").read_text()
    for block in ("---\ntitle: \"Getting started\"\ntags: [cli, translation]\n---\n",
                  "```bash\nllamax translate --to fr README.md -o README.fr.md\n"
                  "# comments in code stay as they are\n```\n",
                  "    indented code block\n    stays too\n",
                  '<div align="center">\n  <img src="logo.png" alt="logo">\n</div>\n',
                  "[ref]: https://example.com/ref\n***\n", "|--------|---------|"):
        assert block in out, block
    # Protected spans survive: either the model kept them, or the unit kept its source.
    for span in ("`pip install llamax-cli`", "{name}", "%(count)s", "<https://example.com/faq>"):
        assert span in out, span
    assert len(results) == 15  # headings, paragraphs, list items, text cells


def test_no_silent_truncation_with_a_tiny_context(llamax, tmp_path):
    long_line = " ".join(f"Sentence number {i} tells a short story about a small town." for i in range(12))
    (tmp_path / "long.txt").write_text(long_line + "\nShort line here.\n")
    proc = llamax("translate", "--from", "en", "--to", "fr", "--ctx", "256", "--json", "long.txt")
    results = records(proc)
    assert len(results) == 12 + 1  # every sentence unit and the short line, each accounted for
    assert [r["index"] for r in results] == list(range(13))
    reported = {r["status"] for r in results}
    assert reported <= {"ok", "truncated", "degenerate", "echo", "protected-lost"}
    assert any(r["attempts"] > 1 for r in results)  # splits and retries happened
    for r in results:
        if r["status"] != "ok":
            assert r["note"]  # a reason for every non-ok unit
    assert "truncated" not in proc.stderr.decode() or "token limit" in proc.stderr.decode()


def test_a_looping_output_ends_and_is_reported(llamax):
    proc = llamax("translate", "--from", "en", "--to", "fr", "--json", "-t", "The cat sleeps on the mat.")
    (result,) = records(proc)
    assert result["attempts"] == 2  # stopped early, retried with a repetition penalty
    assert result["status"] in ("ok", "degenerate")
    if result["status"] == "degenerate":
        assert "degenerate" in proc.stderr.decode()


def test_no_progress_bar_when_stderr_is_not_a_terminal(llamax, tmp_path):
    (tmp_path / "doc.txt").write_text("\n".join(LINES[:3]) + "\n")
    proc = llamax("translate", "--from", "en", "--to", "de", "--max-tokens", "8", "doc.txt", "-o", "o.txt")
    assert_finished(proc)
    assert "━" not in proc.stderr.decode() and "tok/s" not in proc.stderr.decode()


def test_unknown_format_is_a_usage_error(llamax):
    proc = llamax("translate", "--to", "fr", "--format", "docx", "-t", "Hello")
    assert proc.returncode == 2 and b"unknown --format" in proc.stderr
