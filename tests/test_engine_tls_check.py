"""engine/tls_check.py: TLS faults told apart from an outage, on the exceptions httpx really
raises against ports on 127.0.0.1 (a plain-HTTP stand-in, `openssl s_server` with a
self-signed certificate, a closed port), and on built exception chains for the rest. The CLI
around it is tests/test_engine_remote.py's."""

from __future__ import annotations

import ssl

import httpx
import pytest
from test_engine_openai_http import Answer, StandIn
from test_engine_remote import tls_server  # noqa: F401 (a fixture: `openssl s_server`)
from test_server_app import free_port

from llamax_cli.engine.tls_check import tls_fault


@pytest.fixture(scope="module")
def plain():
    """A plain-HTTP server: /v1/models answers, /hang-up closes without an answer."""
    server = StandIn()
    server.answers[("GET", "/v1/models")] = Answer(body={"data": []})
    server.answers[("GET", "/hang-up")] = Answer(hang_up=True)
    yield server
    server.close()


def failure(url: str) -> httpx.TransportError:
    """What httpx raises for a GET of `url` (with its default certificate checks)."""
    with httpx.Client(timeout=10) as http:
        try:
            http.get(url)
        except httpx.TransportError as exc:
            return exc
    raise AssertionError(f"{url} answered")


def ssl_error(reason: str) -> ssl.SSLError:
    error = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()}")
    error.reason = reason  # set by OpenSSL on a real one
    return error


def chained(cause: BaseException, depth: int = 2, implicit: bool = False) -> httpx.ConnectError:
    """httpx's error over `depth` layers (httpcore's, ...) over `cause`, as `raise ... from`
    (or, `implicit`, as an exception raised while handling another)."""
    exc: BaseException = cause
    for layer in range(depth):
        outer = httpx.ConnectError(f"layer {layer}") if layer == depth - 1 else OSError("inner")
        if implicit:
            outer.__context__ = exc
        else:
            outer.__cause__ = exc
        exc = outer
    return exc


@pytest.mark.parametrize("probe", [True, False])
def test_https_to_a_plain_http_port_says_to_use_http(plain, probe):
    url = plain.url.replace("http://", "https://")
    exc = failure(url + "/models")
    assert isinstance(exc, httpx.ConnectError)  # as a refused connection: hence this module
    assert tls_fault(exc, url, probe=probe) == (
        f"{url} answered in plain HTTP, not TLS; use {plain.url}")


def test_http_to_a_tls_port_says_to_use_https_when_probing(tls_server):  # noqa: F811
    port, _ = tls_server
    url = f"http://127.0.0.1:{port}/v1"
    exc = failure(url + "/models")
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert tls_fault(exc, url, probe=True) == (
        f"{url} answered in TLS, not plain HTTP; use https://127.0.0.1:{port}/v1")
    # A server that answered before and now hangs up is dying, not a TLS port: no probe.
    assert tls_fault(exc, url, probe=False) is None
    # An untrusted certificate fails the same way every time: said at once.
    secure = f"https://127.0.0.1:{port}/v1"
    assert tls_fault(failure(secure + "/models"), secure, probe=False) == (
        f"{secure}: its TLS certificate is not trusted (self-signed certificate); set "
        f"SSL_CERT_FILE to the certificate of the authority that signed it")


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("probe", [True, False])
def test_a_closed_port_may_be_an_outage(scheme, probe):
    url = f"{scheme}://127.0.0.1:{free_port()}/v1"
    assert tls_fault(failure(url + "/models"), url, probe=probe) is None


def test_a_plain_server_hanging_up_is_no_tls_port(plain):
    exc = failure(plain.root + "/hang-up")
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert tls_fault(exc, plain.url, probe=True) is None  # the probe found no TLS there


def test_a_hang_up_from_a_port_closed_since_is_an_outage():
    url = f"http://127.0.0.1:{free_port()}/v1"
    assert tls_fault(httpx.RemoteProtocolError("Server disconnected"), url, probe=True) is None


@pytest.mark.parametrize("reason", ["WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE",
                                    "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL",
                                    "HTTP_REQUEST"])
@pytest.mark.parametrize("implicit", [False, True])
def test_every_openssl_wording_of_not_tls_is_recognised(reason, implicit):
    url = "https://example.invalid:8443/api/v1"
    assert tls_fault(chained(ssl_error(reason), 3, implicit), url, probe=False) == (
        f"{url} answered in plain HTTP, not TLS; use http://example.invalid:8443/api/v1")


@pytest.mark.parametrize("exc", [
    chained(ssl_error("SSLV3_ALERT_HANDSHAKE_FAILURE")),  # a TLS server that refused us
    chained(ConnectionRefusedError(111, "Connection refused")),
    httpx.ConnectTimeout("timed out"),
])
def test_other_failures_may_be_an_outage(exc):
    assert tls_fault(exc, "https://example.invalid/v1", probe=False) is None


def test_an_exception_chain_with_a_loop_ends_the_search():
    first, second = OSError("first"), httpx.ConnectError("second")
    first.__context__, second.__context__ = second, first
    assert tls_fault(second, "https://example.invalid/v1", probe=False) is None
