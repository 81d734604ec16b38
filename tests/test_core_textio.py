import os

from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.textio import AtomicOutput, decode, read_source, text_source


def test_decode_takes_off_a_bom_and_says_it_was_there():
    assert decode("\ufeffHallo\r\n".encode(), "x") == ("Hallo\r\n", "utf-8", True)
    assert decode("Hallo\r\n".encode(), "x") == ("Hallo\r\n", "utf-8", False)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_a_bom_are_text(encoding):
    data = "\ufeffGrüße, 世界\n".encode(encoding)
    assert decode(data, "x") == ("Grüße, 世界\n", encoding, True)


def test_output_is_written_in_the_inputs_encoding_with_its_bom(tmp_path):
    target = tmp_path / "out.txt"
    with AtomicOutput(target, "utf-16-le", bom=True) as out:
        out.write("Grüße")
        out.write(", 世界\n")
    assert target.read_bytes() == "\ufeffGrüße, 世界\n".encode("utf-16-le")


def test_a_bom_that_lies_is_named():
    with pytest.raises(LlamaxError, match="UTF-16 \\(little-endian\\) byte-order mark"):
        decode(b"\xff\xfe\x00\xd8", "f.txt")  # a lone surrogate


@pytest.mark.parametrize("data, message", [
    (b"a\0b", "binary"), (b"caf\xe9", "not UTF-8 text (byte 0xe9 at offset 3)"),
    (b"", "empty"), (b" \n\t\n", "empty"),
])
def test_decode_refuses_what_cannot_be_translated(data, message):
    with pytest.raises(LlamaxError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode(data, "f.txt")


def test_read_source_names_the_problem(tmp_path):
    with pytest.raises(LlamaxError, match="no such file"):
        read_source(str(tmp_path / "missing.txt"))
    with pytest.raises(LlamaxError, match="is a directory"):
        read_source(str(tmp_path))
    with pytest.raises(LlamaxError, match="empty"):
        text_source("   ")


def test_atomic_output_appears_only_on_commit(tmp_path):
    target = tmp_path / "out.txt"
    out = AtomicOutput(target)
    out.write("half")
    assert not target.exists()
    out.commit()
    assert target.read_text() == "half"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_killed_writers_leftover_is_removed_a_live_ones_kept(tmp_path):
    # kill -9 runs no handler: its temporary file stays until the next writer of that file.
    dead = tmp_path / ".out.txt.999999999.x1y2.part"  # above any pid_max: nobody's
    live = tmp_path / f".out.txt.{os.getpid()}.a1b2.part"
    other = tmp_path / ".out.txt.notes"
    for path in (dead, live, other):
        path.write_text("partial")
    out = AtomicOutput(tmp_path / "out.txt")
    out.write("done\n")
    out.commit()
    assert not dead.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".out.txt.notes", live.name, "out.txt"])


def test_atomic_output_abort_leaves_an_existing_file_untouched(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("precious")
    with pytest.raises(RuntimeError):
        with AtomicOutput(target) as out:
            out.write("partial")
            raise RuntimeError("interrupted")
    assert target.read_text() == "precious"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_unwritable_destination_fails_before_any_work(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(LlamaxError, match="file is not a folder"):
        AtomicOutput(tmp_path / "file" / "out.txt")
    with pytest.raises(LlamaxError, match="does not exist"):
        AtomicOutput(tmp_path / "nowhere" / "out.txt")
    with pytest.raises(LlamaxError, match="is a directory"):
        AtomicOutput(tmp_path)


def test_a_symlink_is_written_through_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with AtomicOutput(link) as out:
        out.write("new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.txt", "real.txt"]


def test_a_named_pipe_is_streamed_to_not_replaced(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    with AtomicOutput(fifo) as out:
        out.write("through the pipe")
    reader.join()
    assert got == [b"through the pipe"]
    assert fifo.is_fifo() and os.listdir(tmp_path) == ["pipe"]


def test_dev_null_stays_a_device_and_a_full_disk_is_one_error():
    with AtomicOutput("/dev/null") as out:
        out.write("gone")
    assert not Path("/dev/null").is_file()
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    out = AtomicOutput("/dev/full")
    with pytest.raises(LlamaxError, match="cannot write /dev/full"):
        out.write("x" * 100_000)  # past the buffer: the write reaches the device
        out.commit()
    out.abort()


def test_input_past_the_size_limit_is_refused_not_read_to_the_end(tmp_path, monkeypatch):
    import io
    import sys

    from llamax_cli.core import textio

    monkeypatch.setattr(textio, "MAX_INPUT_BYTES", 64)
    big = tmp_path / "big.txt"
    big.write_text("word " * 20, encoding="utf-8")  # 100 bytes
    with pytest.raises(LlamaxError, match="more than"):
        read_source(str(big))
    endless = io.BytesIO(b"a" * 10_000)  # stands in for `< /dev/zero`
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(endless))
    with pytest.raises(LlamaxError, match="stdin: more than"):
        read_source("-")
    assert endless.tell() <= 65 + 8192  # stopped near the limit, not at the end
    (tmp_path / "small.txt").write_text("word " * 12, encoding="utf-8")  # 60 bytes
    assert read_source(str(tmp_path / "small.txt")).text.startswith("word")


def test_a_device_that_takes_nothing_is_an_output_error_on_flush():
    # Found by the several-targets work: flushing /dev/full raised a bare OSError, which ended
    # a whole run instead of naming that output and writing the others.
    import os

    import pytest

    from llamax_cli.core.textio import OutputError

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    out = AtomicOutput("/dev/full")
    out.write("Bonjour.\n")
    with pytest.raises(OutputError, match="cannot write /dev/full"):
        out.flush()
    out.abort()
