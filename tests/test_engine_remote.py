"""The remote engine (engine/remote.py) against real OpenAI-compatible servers on 127.0.0.1:
llama-cpp-python's reference server (`python -m llama_cpp.server`) on the test GGUF, and
`llamax serve` itself. Faults come from a real proxy in front of the real server
(openai_proxy.py) or from killing the server; nothing is patched."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest
from conftest import assert_finished, assert_one_line_error
from openai_proxy import Faults, Proxy
from test_server_app import Server, free_port, request

DOC = """# Opening hours

The museum opens at nine in the morning.

- Tickets are cheaper for students.
- Children enter for free.

The garden is closed in winter.
"""


class ReferenceServer:
    """`python -m llama_cpp.server` on the test model, as a user would start it."""

    def __init__(self, model, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
             "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048",
             # by default it cuts a stream when the next request arrives
             "--interrupt_requests", "False", *args],
            # its log goes to a file: a pipe nobody reads would fill up and stall it
            stdout=subprocess.DEVNULL, stderr=(log := tempfile.TemporaryFile()))
        self.log = log
        key = args[args.index("--api_key") + 1] if "--api_key" in args else None
        deadline = time.time() + 120
        while time.time() < deadline:
            assert self.proc.poll() is None, self._log()
            try:
                headers = {"Authorization": f"Bearer {key}"} if key else {}
                if request(self.url + "/models", headers=headers, timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the reference server did not start")

    def _log(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture(scope="module")
def reference(gemma_path):
    server = ReferenceServer(gemma_path)
    yield server
    server.kill()


def remote(llamax, url, *args, **kw):
    return llamax("translate", "--from", "en", "--to", "fr", "--api-base", url,
                  "--max-tokens", "16", *args, **kw)


def test_a_markdown_file_through_the_reference_server(llamax, reference, tmp_path):
    (tmp_path / "doc.md").write_text(DOC)
    proc = remote(llamax, reference.url, "doc.md", "-o", "out.md")
    assert_finished(proc)
    out = (tmp_path / "out.md").read_text()
    assert out.count("\n") == DOC.count("\n")
    lines = out.splitlines()
    assert lines[0].startswith("# ") and lines[4].startswith("- ") and lines[5].startswith("- ")
    records = [json.loads(line) for line in
               remote(llamax, reference.url, "doc.md", "--json").stdout.decode().splitlines()]
    assert [r["source"] for r in records] == [
        "Opening hours", "The museum opens at nine in the morning.",
        "Tickets are cheaper for students.", "Children enter for free.",
        "The garden is closed in winter."]
    assert all(r["tokens"] > 0 and r["status"] for r in records)


def test_verbose_names_the_engine_it_probed(llamax, reference):
    proc = remote(llamax, reference.url, "-t", "Hello", "--verbose")
    assert_finished(proc)
    err = proc.stderr.decode()
    assert f"remote engine {reference.url}, model " in err and "server tokenizer" in err
    # Probed, not assumed: llama-cpp-python's server gives logprobs, and one choice per prompt.
    assert "n-best: no, logprobs: yes" in err


def test_an_unreachable_server_is_one_line_naming_the_url(llamax):
    url = f"http://127.0.0.1:{free_port()}/v1"
    proc = remote(llamax, url, "-t", "Hello", "--remote-timeout", "1")
    err = assert_one_line_error(proc)
    assert url in err and "connection refused" in err and "--remote-timeout" in err
    assert "gave up after 1 s" in err
    assert len(proc.stderr.decode().splitlines()) <= 2  # at most the one "retrying" warning


def test_a_wrong_path_is_a_404_naming_the_fix(llamax, reference):
    url = reference.url.replace("/v1", "/v2")
    err = assert_one_line_error(remote(llamax, url, "-t", "Hello"))
    assert "HTTP 404" in err and "--api-base" in err


def test_a_bad_key_is_one_line_and_the_key_is_never_printed(llamax, gemma_path):
    server = ReferenceServer(gemma_path, "--api_key", "s3cret")
    try:
        proc = remote(llamax, server.url, "-t", "Hello", env={"LLAMAX_API_KEY": "wrong-key"})
        err = assert_one_line_error(proc)
        assert "refused the API key (HTTP 401)" in err and "LLAMAX_API_KEY" in err
        assert "wrong-key" not in err
        good = remote(llamax, server.url, "-t", "Hello", env={"OPENAI_API_KEY": "s3cret"})
        assert_finished(good)
        assert good.stdout.strip()
    finally:
        server.kill()


def test_429_and_503_are_retried_and_the_document_completes(llamax, reference, tmp_path):
    faults = Faults(refuse=[429, 503, 503, 429], retry_after="0")
    proxy = Proxy(reference.url.removesuffix("/v1"), faults)
    try:
        (tmp_path / "doc.md").write_text(DOC)
        proc = remote(llamax, proxy.url + "/v1", "doc.md", "--remote-parallel", "2")
        assert_finished(proc)
        assert proc.stdout.decode().count("\n") == DOC.count("\n")
        assert faults.seen[:4] == [429, 503, 503, 429] and faults.seen.count(200) >= 5
        assert "retrying for up to 60 s" in proc.stderr.decode()
    finally:
        proxy.close()


def test_the_server_killed_mid_document(llamax, gemma_path, tmp_path):
    server = ReferenceServer(gemma_path)
    # The real server dies once two units have gone through: the proxy then answers 502,
    # as a load balancer does for a dead backend.
    proxy = Proxy(server.url.removesuffix("/v1"), Faults(after_completions=2, then=server.kill))
    lines = [f"Sentence number {i} is about the weather." for i in range(12)]
    (tmp_path / "doc.txt").write_text("\n".join(lines) + "\n")
    try:
        args = ("doc.txt", "--remote-parallel", "1", "--remote-timeout", "2")
        err = assert_one_line_error(remote(llamax, proxy.url + "/v1", *args, "-o", "out.txt"))
        assert "gave up after" in err and proxy.url in err
        assert not (tmp_path / "out.txt").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.txt")]
        # With --json, the records printed say which units were done.
        server2 = ReferenceServer(gemma_path)
        proxy.upstream = proxy.upstream._replace(netloc=f"127.0.0.1:{server2.port}")
        proxy.faults = Faults(after_completions=3, then=server2.kill)
        proc = remote(llamax, proxy.url + "/v1", *args, "--json")
        assert_one_line_error(proc)
        done = [json.loads(line) for line in proc.stdout.decode().splitlines()]
        assert 1 <= len(done) < len(lines)
        assert [r["source"] for r in done] == lines[:len(done)]
    finally:
        proxy.close()
        server.kill()


def test_llamax_serve_is_a_remote_engine_for_another_llamax(llamax, tmp_path, cli_env):
    srv = Server(cli_env, tmp_path)
    try:
        status, models = request(srv.url + "/v1/models")
        assert status == 200 and models["data"][0]["max_model_len"] >= 256
        # Plain HTTP in the shape OpenAI clients send: a whole answer, then a stream.
        body = {"model": models["data"][0]["id"], "prompt": "The capital of France is",
                "max_tokens": 8, "temperature": 0, "stop": ["\n"]}
        status, answer = request(srv.url + "/v1/completions", body)
        assert status == 200 and answer["object"] == "text_completion"
        assert answer["choices"][0]["finish_reason"] in ("stop", "length")
        assert "\n" not in answer["choices"][0]["text"]
        streamed = urllib.request.urlopen(urllib.request.Request(
            srv.url + "/v1/completions", json.dumps({**body, "stream": True}).encode(),
            {"Content-Type": "application/json"}), timeout=120).read().decode()
        chunks = [json.loads(line[6:]) for line in streamed.split("\n\n")
                  if line.startswith("data: {")]
        assert streamed.rstrip().endswith("data: [DONE]")
        assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"]) == \
            answer["choices"][0]["text"]
        status, tokens = request(srv.url + "/tokenize", {"content": "Hello world"})
        assert status == 200 and len(tokens["tokens"]) >= 2
        # Another llamax uses it as its engine: a whole document, structure kept.
        (tmp_path / "doc.md").write_text(DOC)
        proc = remote(llamax, srv.url + "/v1", "doc.md", "--no-server")
        assert_finished(proc)
        assert proc.stdout.decode().count("\n") == DOC.count("\n")
    finally:
        srv.stop()


def test_a_registry_entry_can_name_a_server(llamax, reference, cli_env):
    config = os.path.join(cli_env["XDG_CONFIG_HOME"], "llamax")
    os.makedirs(config, exist_ok=True)
    with open(os.path.join(config, "models.toml"), "w") as f:
        f.write(f'[models.team-server]\napi_base = "{reference.url}"\n'
                f'description = "the team\'s server"\n')
    proc = llamax("translate", "--from", "en", "--to", "fr", "--model", "team-server",
                  "--max-tokens", "8", "-t", "Hello", "--verbose", env={"LLAMAX_MODEL": ""})
    assert_finished(proc)
    assert f"remote engine {reference.url}" in proc.stderr.decode()
    listed = [json.loads(line) for line in llamax("models", "list", "--json", env={
        "LLAMAX_MODEL": ""}).stdout.decode().splitlines()]
    assert {"name": "team-server", "api_base": reference.url, "downloaded": False}.items() <= \
        next(row for row in listed if row["name"] == "team-server").items()
    assert "nothing to pull" in assert_one_line_error(
        llamax("models", "pull", "team-server", env={"LLAMAX_MODEL": ""}))


def test_doctor_reports_the_configured_remote_engine(llamax, reference):
    proc = llamax("doctor", "--offline", env={"LLAMAX_API_BASE": reference.url})
    assert proc.returncode == 0, proc.stderr
    line = next(row for row in proc.stdout.decode().splitlines()
                if row.startswith("remote engine"))
    assert f"{reference.url}: reachable, model " in line and "tokenizes" in line
    assert "n-best: no, logprobs: yes" in line
    down = f"http://127.0.0.1:{free_port()}/v1"
    out = llamax("doctor", "--offline", env={"LLAMAX_API_BASE": down}).stdout.decode()
    assert f"{down}: not usable" in out and "connection refused" in out


def test_llamax_serve_fronts_a_remote_engine_with_the_libretranslate_api(reference, cli_env,
                                                                        tmp_path):
    srv = Server({**cli_env, "LLAMAX_MODEL": ""}, tmp_path, "--api-base", reference.url)
    try:
        status, answer = request(srv.url + "/translate", {
            "q": ["The museum opens at nine.", "Good morning."], "source": "en", "target": "fr"})
        assert status == 200 and len(answer["translatedText"]) == 2
        assert all(text.strip() for text in answer["translatedText"])
        assert request(srv.url + "/v1/models")[1]["data"][0]["id"] == str(
            reference.proc.args[reference.proc.args.index("--model") + 1])
    finally:
        code, err = srv.stop()
        assert code in (0, 143) and "Traceback" not in err, err
    assert "serving " in err and f"from {reference.url}" in err



def test_an_outage_mid_document_is_one_warning_and_gives_up_within_the_timeout(
        cli_env, gemma_path, tmp_path):
    """The engine dies with units in flight and many more queued: one clock for the whole
    outage (not one per unit or per call), one warning line that counts the requests
    affected, then one error line once --remote-timeout has passed since the outage began."""
    server = ReferenceServer(gemma_path)
    proxy = Proxy(server.url.removesuffix("/v1"), Faults())
    killed = []

    class KillOnRefill(proxy.server.RequestHandlerClass):
        """Kills the server when the CLI counts the tokens of a unit beyond its first window
        (a token count after the completions began: a unit has just finished). That count
        then fails a second after the completions in flight did, as when the engine dies
        while the CLI reads its next unit; a clock per call would start a second later."""

        def do_POST(self):
            if self.path.endswith("/tokenize/count") and proxy.faults.seen and not killed:
                server.kill()
                killed.append(time.monotonic())
                time.sleep(1)
            super().do_POST()

    proxy.server.RequestHandlerClass = KillOnRefill
    paragraphs = [f"Paragraph {i} says that the weather is fine today." for i in range(300)]
    (tmp_path / "doc.txt").write_text("\n\n".join(paragraphs) + "\n")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "llamax_cli", "translate", "--from", "en", "--to", "fr",
             "--api-base", proxy.url + "/v1", "--max-tokens", "16", "--remote-timeout", "20",
             "--json", "doc.txt"], capture_output=True, env=cli_env, cwd=tmp_path, timeout=300)
        ended = time.monotonic()
    finally:
        proxy.close()
        server.kill()
    assert killed, "the run never counted a unit beyond its first window"
    err = proc.stderr.decode()
    error = assert_one_line_error(proc)
    assert "gave up after" in error and proxy.url in error
    warnings = [line for line in err.splitlines() if "retrying for up to 20 s" in line]
    assert len(warnings) == 1 and "requests waiting" in warnings[0], err
    assert len(proc.stdout.decode().splitlines()) < len(paragraphs)  # it died mid-document
    # One clock for the outage: about 20 s after the kill. A clock per call took 40 (the
    # queued units started fresh ones while the CLI waited on its own); the bound leaves a
    # slow machine 15 s to notice the kill and shut down.
    assert ended - killed[0] < 35, (ended - killed[0], err)



def test_https_to_a_plain_http_server_is_said_at_once(llamax, reference):
    """The TLS handshake meets an HTTP answer: one line saying so and how to fix it, no
    retries (the timeout is long enough that a retry loop would show its warning)."""
    url = reference.url.replace("http://", "https://")
    proc = remote(llamax, url, "-t", "Hello", "--remote-timeout", "30")
    err = assert_one_line_error(proc)
    assert err == f"llamax: error: {url} answered in plain HTTP, not TLS; use {reference.url}"
    assert len(proc.stderr.decode().splitlines()) == 1, proc.stderr.decode()


@pytest.fixture
def tls_server(tmp_path):
    """`openssl s_server` on 127.0.0.1 with a self-signed certificate for that address: a
    real TLS port (it answers GET with a status page, which is not the OpenAI API)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "tls-cert.pem", tmp_path / "tls-key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
                             str(cert), "-key", str(key), "-www", "-quiet"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            assert proc.poll() is None and time.time() < deadline, "openssl s_server"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port, cert
    finally:
        proc.kill()
        proc.wait()


def test_http_to_a_tls_server_and_an_untrusted_certificate_are_said_at_once(llamax, tls_server):
    port, cert = tls_server
    plain = f"http://127.0.0.1:{port}/v1"
    proc = remote(llamax, plain, "-t", "Hello", "--remote-timeout", "30")
    err = assert_one_line_error(proc)
    assert err == (f"llamax: error: {plain} answered in TLS, not plain HTTP; "
                   f"use https://127.0.0.1:{port}/v1")
    assert len(proc.stderr.decode().splitlines()) == 1, proc.stderr.decode()
    secure = f"https://127.0.0.1:{port}/v1"
    proc = remote(llamax, secure, "-t", "Hello", "--remote-timeout", "30")
    err = assert_one_line_error(proc)
    assert "TLS certificate is not trusted (self-signed certificate)" in err
    assert "SSL_CERT_FILE" in err and len(proc.stderr.decode().splitlines()) == 1
    # Trusted as the message says: the handshake passes, and the page that answers is no
    # OpenAI API, which is one line too.
    proc = remote(llamax, secure, "-t", "Hello", env={"SSL_CERT_FILE": str(cert)})
    err = assert_one_line_error(proc)
    assert f"{secure}/models did not answer a JSON object" in err
