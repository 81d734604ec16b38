"""A bounded soak of `llamax serve` on the test model: 1,000 requests from 40 clients, a third
of them leaving midway, some chunked bodies over the limit. Every client that waits gets a
translation or a clean JSON error; afterwards nothing is left admitted, memory is flat, and
a stop ends cleanly."""

from __future__ import annotations

import json
import random
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_server_app import Server, request, server_env  # noqa: F401 (a fixture)
from test_server_lifecycle import health, read_answer, wait_for

CLIENTS, REQUESTS = 40, 1000
GRACE = 5


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def translate_and_check(url: str, i: int) -> str:
    status, body = request(url + "/translate", {"q": f"Good morning, number {i}.",
                                                "source": "en", "target": "fr"}, timeout=300)
    if status == 200:
        assert isinstance(body["translatedText"], str), body
        return "ok"
    assert status in (429, 503) and isinstance(body["error"], str), (status, body)
    return str(status)


def leave_midway(port: int, i: int) -> str:
    text = " ".join(f"Sentence {i}.{k} says something." for k in range(12))
    body = json.dumps({"q": text, "source": "en", "target": "fr"}).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        sock.settimeout(random.Random(i).uniform(0.05, 1.0))
        try:
            sock.recv(1)  # leave before the answer (or just after it, for a quick one)
        except socket.timeout:
            pass
    return "left"


def chunked_over_limit(port: int, i: int) -> str:
    """A 3 MB JSON body sent in chunks, with no length announced: the limit is 2 MB."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"a" * 65536
        try:
            sock.sendall(b'%x\r\n{"q": "\r\n' % len(b'{"q": "'))
            for _ in range(48):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b'3\r\n"}\n\r\n0\r\n\r\n')
        except OSError:
            pass  # the server answered and closed before the end: the limit held
        status, body = read_answer(sock)
    assert status == 413 and "exceeds" in json.loads(body)["error"], (status, body[:200])
    return "413"


@pytest.mark.slow
def test_a_thousand_requests_from_forty_clients(server_env, tmp_path):
    srv = Server(server_env, tmp_path, "--parallel", "8", "--grace", str(GRACE))
    seen: list[str] = []
    lock = threading.Lock()
    marks: dict[str, int] = {}

    def one(i: int) -> None:
        kind = "chunked" if i % 50 == 25 else "leave" if i % 3 == 2 else "translate"
        outcome = {"translate": lambda: translate_and_check(srv.url, i),
                   "leave": lambda: leave_midway(srv.port, i),
                   "chunked": lambda: chunked_over_limit(srv.port, i)}[kind]()
        with lock:
            seen.append(outcome)
            if len(seen) == 200:
                marks["rss_200"] = rss_kib(srv.proc.pid)

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            for future in [pool.submit(one, i) for i in range(REQUESTS)]:
                future.result()
        idle = wait_for(lambda: (h := health(srv))["admitted"] == 0 and h["active"] == 0
                        and h["waiting"] == 0 and h, "nothing left admitted", 120)
        assert idle["status"] == "ok"
        growth_mib = (rss_kib(srv.proc.pid) - marks["rss_200"]) / 1024
        assert growth_mib < 50, f"RSS grew {growth_mib:.1f} MiB after the first 200 requests"
    finally:
        code, err = srv.stop()
    assert len(seen) == REQUESTS and seen.count("413") == REQUESTS // 50
    assert seen.count("ok") > 500, {k: seen.count(k) for k in set(seen)}
    # Exit 0: the stop finished before the last-resort exit at grace + 4 s (which exits 1).
    assert code == 0 and "Traceback" not in err, err
