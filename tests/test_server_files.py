"""server/files.py: the --file-store and --public-url values, and the store of translated
files (links, lookups that stay inside the store, expiry, the size cap). Folders go under the
test's own temporary dir (tests/test_server_app.py covers the clean-up after killed servers)."""

from __future__ import annotations

import tempfile
import urllib.parse

import pytest

from llamax_cli.core.errors import UsageError
from llamax_cli.server.files import FileStore, parse_public_url, parse_size

MIB = 2**20


@pytest.mark.parametrize("value, size", [
    ("256M", 256 * MIB), ("1G", 2**30), ("500K", 500 * 2**10), ("1024", 1024),
    ("1.5M", int(1.5 * MIB)), ("256MB", 256 * MIB), ("256MiB", 256 * MIB), (" 2 g ", 2 * 2**30),
    ("10B", 10), ("0", 0),
])
def test_parse_size(value, size):
    assert parse_size(value) == size


@pytest.mark.parametrize("value", ["lots", "-1M", "M", "", "1T", "1,5M", "1 M B x"])
def test_a_value_that_is_no_size_names_the_option(value):
    with pytest.raises(UsageError) as caught:
        parse_size(value)
    assert str(caught.value) == f"--file-store: {value!r} is no size (e.g. 256M, 1G, 500K)"
    with pytest.raises(UsageError, match="^--other: "):
        parse_size(value, "--other")


@pytest.mark.parametrize("value, url", [
    (None, None), ("https://lt.example.org", "https://lt.example.org"),
    ("https://lt.example.org/", "https://lt.example.org"),
    (" http://host:5000/prefix/ ", "http://host:5000/prefix"),
])
def test_parse_public_url(value, url):
    assert parse_public_url(value) == url


@pytest.mark.parametrize("value", ["lt.example.org", "ftp://lt.example.org", "http://",
                                   "https://lt.example.org/?lang=en", "/prefix"])
def test_a_public_url_must_be_a_base_url(value):
    with pytest.raises(UsageError, match=r"^--public-url: .* is no base URL"):
        parse_public_url(value)


@pytest.fixture
def store_root(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def split(link: str) -> tuple[str, str]:
    token, name = link.split("/")
    return token, urllib.parse.unquote(name)


def test_a_saved_file_has_an_unguessable_quoted_link_and_is_found(store_root):
    store = FileStore()
    assert store.folder.parent == store_root and store.folder.name.startswith("llamax-serve-")
    link = store.save("résumé 1.txt", b"translated")
    token, name = split(link)
    assert link == f"{token}/r%C3%A9sum%C3%A9%201.txt"
    assert len(token) == 32 and name == "résumé 1.txt"
    assert store.find(token, name).read_bytes() == b"translated"
    other = store.save("résumé 1.txt", b"another")
    assert split(other)[0] != token  # the same name twice: two files, two links


def test_find_stays_inside_the_store(store_root):
    store = FileStore()
    (store_root / "secret.txt").write_text("not served")
    token, name = split(store.save("a.txt", b"x"))
    assert store.find(token, "missing.txt") is None
    assert store.find("0" * 32, name) is None
    assert store.find(token, "../../secret.txt") is None
    assert store.find(token, "..") is None
    assert store.find(f"../{token}", name) is None  # a token is 32 hex digits, nothing else


def test_a_dot_dot_token_does_not_leave_the_store(store_root):
    # Found by writing this test: find() kept Path(token).name, and the name of ".." is "..",
    # so GET /download_file/%2E%2E/NAME served NAME from the system temp dir.
    store = FileStore()
    (store_root / "secret.txt").write_text("not served")
    token, name = split(store.save("a.txt", b"x"))
    assert store.find("..", "secret.txt") is None
    assert store.find(".", name) is None and store.find(token, "..") is None
    assert store.find(token.upper(), name) is None  # only what save() makes
    assert store.find(token, name) == store.folder / token / name


def test_an_expired_file_is_never_served_but_the_one_just_saved_stays(store_root):
    store = FileStore(ttl=0)
    token, name = split(store.save("a.txt", b"x"))
    assert (store.folder / token / name).exists()  # the save's own sweep keeps it
    assert store.find(token, name) is None  # any later sweep finds it expired
    assert list(store.folder.iterdir()) == []


def test_the_oldest_files_go_when_the_store_is_over_its_size(store_root):
    store = FileStore(max_bytes=10)
    first = split(store.save("first.txt", b"123456"))
    second = split(store.save("second.txt", b"123456"))  # 12 bytes: the first goes
    assert store.find(*first) is None and store.find(*second) is not None
    big = split(store.save("big.txt", b"x" * 50))  # over the cap alone, but just written
    assert [p.name for p in store.folder.iterdir()] == [big[0]]
    assert store.find(*big) is None  # the next sweep keeps the store under its cap
