"""Inline markup in HTML and Markdown units (issue 28, point 16): markup is protected first
and a long run is cut only outside it; a unit's translation keeps the source's markup exactly
(no tag dropped, repeated or made up), or the unit keeps its source and says `markup-lost`.

Through the real segmenter and render path, the real CLI's dry run, the real CLI on the
gemma test model (whatever it writes, every tag survives), and the real CLI over a real
OpenAI-compatible HTTP server whose "model" writes exactly the damage a test needs."""

from __future__ import annotations

import collections
import json
import re
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import assert_finished

from llamax_cli.formats.segment import segment

DATA = Path(__file__).parent / "data"
LONG_URL = ("https://doc.rust-lang.org/book/ch14-02-publishing-to-crates-io.html"
            "#exporting-a-convenient-public-api-with-pub-use")
LONG_LINK = f'<a href="{LONG_URL}">the Book</a>'


class Tags(HTMLParser):
    """Every tag of a page (name and attributes), with how often it occurs, and the text of
    each <code>/<kbd> element."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.tags: collections.Counter = collections.Counter()
        self.code: collections.Counter = collections.Counter()
        self._open_code: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags[("start", tag, tuple(attrs))] += 1
        if tag in ("code", "kbd"):
            self._open_code.append("")

    def handle_startendtag(self, tag, attrs):
        self.tags[("startend", tag, tuple(attrs))] += 1

    def handle_endtag(self, tag):
        self.tags[("end", tag)] += 1
        if tag in ("code", "kbd") and self._open_code:
            self.code[(tag, self._open_code.pop())] += 1

    def handle_data(self, data):
        if self._open_code:
            self._open_code[-1] += data


def prompt_inputs(stdout: bytes) -> list[str]:
    """The text of each unit, as `--dry-run --json` shows its prompt."""
    return [json.loads(line)["prompt"].split("### Input:\n", 1)[1].rsplit("\n### Response:", 1)[0]
            for line in stdout.decode().splitlines()]


def markdown_pieces(text: str) -> collections.Counter:
    """Code spans, link and image targets, link openers and autolinks of a Markdown text."""
    found = re.findall(r"`[^`\n]+`|\]\([^()\s]+\)|!?\[|<https?://[^>\s]+>", text)
    return collections.Counter(found)


# -- the segmenter and the render path ----------------------------------------------------------

def test_an_html_link_with_a_long_url_stays_in_its_sentence_with_its_tags():
    html = f"<p>For more information, see {LONG_LINK}.</p>\n"
    doc = segment(html, "html")
    assert [u.source for u in doc.units] == [f"For more information, see {LONG_LINK}."]
    (unit,) = doc.units
    assert unit.markup == (f'<a href="{LONG_URL}">', "</a>")
    assert doc.render(u.raw for u in doc.units) == html
    out = doc.render([f"Pour en savoir plus, voir <a href=\"{LONG_URL}\">le livre</a>."])
    assert Tags(out).tags == Tags(html).tags


def test_markdown_code_spans_links_images_and_autolinks_with_long_urls_stay_whole():
    text = (f"Run the command `curl -sSL {LONG_URL}` to fetch it.\n\n"
            f"See [the Book]({LONG_URL}) now.\n\n"
            f"The figure ![The chapter]({LONG_URL}) and <{LONG_URL}> say more.\n")
    doc = segment(text, "markdown")
    assert [u.source for u in doc.units] == [
        f"Run the command `curl -sSL {LONG_URL}` to fetch it.",
        f"See [the Book]({LONG_URL}) now.",
        f"The figure ![The chapter]({LONG_URL}) and <{LONG_URL}> say more."]
    assert doc.units[0].markup == (f"`curl -sSL {LONG_URL}`",)
    assert doc.units[1].markup == ("[", f"]({LONG_URL})")
    assert doc.units[2].markup == ("![", f"]({LONG_URL})", f"<{LONG_URL}>")
    assert doc.render(u.raw for u in doc.units) == text


def test_html_code_and_kbd_content_is_one_protected_piece_and_alone_is_literal():
    html = ("<p>Run <code>cargo doc --verbose</code> to see <b>every</b> step.</p>\n"
            "<p>Press <kbd>ctrl</kbd>-<kbd>c</kbd> to quit.</p>\n"
            "<p><code>cargo doc --open</code></p>\n")
    doc = segment(html, "html")
    assert [u.source for u in doc.units] == [
        "Run <code>cargo doc --verbose</code> to see <b>every</b> step.",
        "Press <kbd>ctrl</kbd>-<kbd>c</kbd> to quit."]
    assert doc.units[0].markup == ("<code>cargo doc --verbose</code>", "<b>", "</b>")
    assert doc.units[1].markup == ("<kbd>ctrl</kbd>", "<kbd>c</kbd>")
    assert "<p><code>cargo doc --open</code></p>" in doc.render("X" for _ in doc.units)


def test_an_unclosed_code_element_does_not_swallow_the_next_paragraph():
    doc = segment("<p>Use <code>x</p>\n<p>Then read the rest.</p>\n", "html")
    assert [u.source for u in doc.units] == ["Use <code>x", "Then read the rest."]


def test_a_long_line_is_not_cut_between_sentences_inside_a_link():
    label = "Read this first. Then read the rest of the chapter, which says more"
    line = f"See [{label}]({LONG_URL}). " + "Another plain sentence follows here. " * 8
    doc = segment(line.strip() + "\n", "markdown")
    assert doc.units[0].source == f"See [{label}]({LONG_URL})."
    assert len(doc.units) == 9


def test_a_long_run_outside_markup_is_still_cut_out_of_the_unit():
    blob = "ab12" * 40
    html = f"<p>The checksum {blob} is shown, and <b>bold</b> words stay.</p>\n"
    doc = segment(html, "html")
    assert [u.source for u in doc.units] == ["The checksum", "is shown, and <b>bold</b> words stay."]
    assert blob in doc.render("X" for _ in doc.units)


# -- the real CLI: unit boundaries without a model ----------------------------------------------

@pytest.mark.parametrize("name", ["rust-book-publishing.html", "rust-book-publishing.md"])
def test_no_unit_of_a_real_page_holds_a_piece_of_markup(llamax, tmp_path, name):
    (tmp_path / name).write_bytes((DATA / name).read_bytes())
    proc = llamax("translate", "--from", "en", "--to", "fr", "--dry-run", "--json", name)
    assert proc.returncode == 0, proc.stderr.decode()
    inputs = prompt_inputs(proc.stdout)
    for text in inputs:
        assert text.count("<") == text.count(">"), text
        assert text.count("`") % 2 == 0, text
        assert text.count("[") == text.count("]"), text
    if name.endswith(".html"):
        assert f"For more information, see {LONG_LINK}." in inputs
        assert "Run <code>cargo doc --verbose</code> to see every step." in inputs
    else:
        assert f"Run the command `curl -sSL {LONG_URL}` to fetch the chapter." in inputs
        assert f"For more information, see [the Book]({LONG_URL})." in inputs


# -- the real CLI on the test model -------------------------------------------------------------

def test_a_real_html_page_keeps_every_tag_whatever_the_model_writes(llamax, tmp_path):
    source = (DATA / "rust-book-publishing.html").read_text(encoding="utf-8")
    (tmp_path / "page.html").write_text(source, encoding="utf-8")
    proc = llamax("translate", "--from", "en", "--to", "fr", "--format", "html",
                  "--max-tokens", "24", "page.html", "-o", "page.fr.html")
    assert_finished(proc)
    out = (tmp_path / "page.fr.html").read_text(encoding="utf-8")
    assert Tags(out).tags == Tags(source).tags
    assert Tags(out).code == Tags(source).code  # code and keys are never translated
    assert ('<pre><code class="language-console">$ cargo login\n'
            'abcdefghijklmnopqrstuvwxyz012345\n</code></pre>') in out


def test_a_real_markdown_page_keeps_every_code_span_and_link(llamax, tmp_path):
    source = (DATA / "rust-book-publishing.md").read_text(encoding="utf-8")
    (tmp_path / "page.md").write_text(source, encoding="utf-8")
    proc = llamax("translate", "--from", "en", "--to", "fr", "--max-tokens", "24",
                  "page.md", "-o", "page.fr.md")
    assert_finished(proc)
    out = (tmp_path / "page.fr.md").read_text(encoding="utf-8")
    assert markdown_pieces(out) == markdown_pieces(source)
    assert out.count("`") == source.count("`")


# -- the real CLI over a model that damages markup on purpose -----------------------------------

class ScriptedModel:
    """An OpenAI-compatible completions server on 127.0.0.1 whose model answers each unit from
    a table (unit text -> answer) and repeats any other unit as it is."""

    def __init__(self, answers: dict[str, str]):
        self.answers = answers
        self.asked: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.endswith("/models"):
                    listing = {"object": "list", "data": [{"id": "scripted", "n_ctx": 4096}]}
                    self._send(200, json.dumps(listing).encode())
                else:
                    self._send(404, b'{"error": "not found"}')

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                if not self.path.endswith("/completions"):
                    self._send(404, b'{"error": "not found"}')
                    return
                unit = body["prompt"].split("### Input:\n", 1)[-1].rsplit("\n### Response:", 1)[0]
                model.asked.append(unit)
                answer = model.answers.get(unit, unit)
                events = [{"choices": [{"text": answer, "finish_reason": None}]},
                          {"choices": [{"text": "", "finish_reason": "stop"}]}]
                stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
                self._send(200, stream.encode(), "text/event-stream")

        return Handler


@pytest.fixture
def scripted():
    made = []

    def start(answers: dict[str, str]) -> ScriptedModel:
        made.append(ScriptedModel(answers))
        return made[-1]

    yield start
    for model in made:
        model.close()


def _translate_through(llamax, model, name: str):
    return llamax("translate", "--from", "en", "--to", "fr", "--api-base", model.url,
                  "--remote-timeout", "20", name, "-o", "out" + Path(name).suffix)


def test_html_markup_repeated_dropped_made_up_or_code_translated_keeps_the_source(
        llamax, tmp_path, scripted):
    short = '<a href="/guide.html">the guide</a>'
    html = (f"<p>For more information, see {LONG_LINK}.</p>\n"
            f"<p>Read {short} now.</p>\n"
            "<p>Run <code>cargo doc --verbose</code> to see every step.</p>\n"
            "<p>Plain words stay plain.</p>\n"
            "<p>Press <b>Enter</b> twice.</p>\n"
            "<p>Open the <em>settings</em> page.</p>\n")
    model = scripted({
        f"For more information, see {LONG_LINK}.":
            f'Pour en savoir plus, voir <a href="{LONG_URL}">le livre</a>.',  # right
        f"Read {short} now.": f'Lisez {short.replace("the guide", "le guide")} '
                              f'{short.replace("the guide", "le guide")} maintenant.',  # repeated
        "Run <code>cargo doc --verbose</code> to see every step.":
            "Lancez <code>car_model --verbose</code> pour voir chaque étape.",  # code translated
        "Plain words stay plain.": "Des mots <em>simples</em> restent simples.",  # made up
        "Press <b>Enter</b> twice.": "Appuyez deux fois sur Entrée.",  # dropped
        "Open the <em>settings</em> page.": "Ouvrez la page des <em>réglages</em>.",  # right
    })
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    proc = _translate_through(llamax, model, "page.html")
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert err.count("markup-lost") >= 4 and "4 markup-lost" in err, err
    out = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert Tags(out).tags == Tags(html).tags
    assert out == (f'<p>Pour en savoir plus, voir <a href="{LONG_URL}">le livre</a>.</p>\n'
                   f"<p>Read {short} now.</p>\n"
                   "<p>Run <code>cargo doc --verbose</code> to see every step.</p>\n"
                   "<p>Plain words stay plain.</p>\n"
                   "<p>Press <b>Enter</b> twice.</p>\n"
                   "<p>Ouvrez la page des <em>réglages</em>.</p>\n")


def test_markdown_links_and_code_spans_repeated_or_broken_keep_the_source(
        llamax, tmp_path, scripted):
    text = (f"Run the command `curl -sSL {LONG_URL}` to fetch it.\n\n"
            "See [the guide](https://example.com/guide) now.\n\n"
            "Type `cargo build` first.\n")
    model = scripted({
        f"Run the command `curl -sSL {LONG_URL}` to fetch it.":
            f"Lancez la commande `curl -sSL {LONG_URL}` pour l'obtenir.",  # right
        "See [the guide](https://example.com/guide) now.":
            "Voir [le guide](https://example.com/guide) [le guide](https://example.com/guide).",
        "Type `cargo build` first.": "Tapez `cargo build d'abord.",  # a backtick lost
    })
    (tmp_path / "doc.md").write_text(text, encoding="utf-8")
    proc = _translate_through(llamax, model, "doc.md")
    err = proc.stderr.decode()
    assert proc.returncode == 3 and "2 markup-lost" in err, err
    out = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert out == (f"Lancez la commande `curl -sSL {LONG_URL}` pour l'obtenir.\n\n"
                   "See [the guide](https://example.com/guide) now.\n\n"
                   "Type `cargo build` first.\n")
