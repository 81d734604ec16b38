"""TLS faults that waiting will not cure, told apart from an outage.

`https://` to a plain-HTTP port fails in the TLS handshake (OpenSSL's WRONG_VERSION_NUMBER:
the "record" that came back is the start of an HTTP answer), and httpx reports it as a
ConnectError, like a refused connection. `http://` to a TLS port gets the connection closed
without an answer. An untrusted certificate fails the same way every time. Retrying any of
these for --remote-timeout only hides the fix, so they are said at once, in one line.
"""

from __future__ import annotations

import socket
import ssl
from typing import Optional
from urllib.parse import urlsplit, urlunsplit

import httpx

# OpenSSL's reasons for "what came back is not TLS" (the wording varies with its version).
_NOT_TLS = {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
            "UNKNOWN_PROTOCOL", "HTTP_REQUEST"}
PROBE_SECONDS = 2.0


def tls_fault(exc: BaseException, url: str, *, probe: bool) -> Optional[str]:
    """The one-line reason when `exc` (a failed call to `url`) is a TLS mismatch or an
    untrusted certificate; None when it may be an outage. `probe`: for an http:// URL whose
    server closed the connection without an answer, try a TLS handshake on that port (done
    only while the server has never answered, so a dying server costs no probes)."""
    cause = _ssl_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (f"{url}: its TLS certificate is not trusted ({cause.verify_message}); set "
                f"SSL_CERT_FILE to the certificate of the authority that signed it")
    if cause is not None and getattr(cause, "reason", None) in _NOT_TLS:
        return f"{url} answered in plain HTTP, not TLS; use {_with_scheme(url, 'http')}"
    parts = urlsplit(url)
    if probe and parts.scheme == "http" and isinstance(exc, httpx.RemoteProtocolError) \
            and _speaks_tls(parts.hostname or "localhost", parts.port or 80):
        return f"{url} answered in TLS, not plain HTTP; use {_with_scheme(url, 'https')}"
    return None


def _ssl_cause(exc: BaseException) -> Optional[ssl.SSLError]:
    seen = 0
    while exc is not None and seen < 10:  # httpx -> httpcore -> ssl
        if isinstance(exc, ssl.SSLError):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def _with_scheme(url: str, scheme: str) -> str:
    return urlunsplit(urlsplit(url)._replace(scheme=scheme))


def _speaks_tls(host: str, port: int) -> bool:
    """Whether a TLS handshake completes on host:port (any certificate: only the protocol
    is asked about here, and nothing is sent after the handshake)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                return True
    except (OSError, ValueError):  # ssl.SSLError is an OSError
        return False
