"""Opening captures: format sniffing, gzip, and the one-line errors for files that are not captures."""

from __future__ import annotations

import gzip
import os
import random
import threading
import tracemalloc

import pytest
from capture_builders import epb, idb, packet, pcap_file, pcap_record, shb

from analyzer.capture import CaptureError, CaptureReader, CaptureWarning, open_capture


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def small_pcap(n: int = 5) -> bytes:
    return pcap_file([(100 + i, i, packet(i, 50 + i)) for i in range(n)])


def random_records() -> list[tuple[int, int, bytes]]:
    """300 records of random (hardly compressible, but reproducible) bytes."""
    rng = random.Random(2024)
    return [(i, 0, rng.randbytes(400)) for i in range(300)]


def small_pcapng(n: int = 5) -> bytes:
    return shb(">") + idb(1, order=">") + b"".join(epb(0, i, packet(i), order=">") for i in range(n))


# -- not a capture -----------------------------------------------------------------------------------

def test_text_file_is_not_a_capture(tmp_path):
    path = write(tmp_path, "notes.txt", b"hello, these are my notes\n")
    with pytest.raises(CaptureError) as caught:
        open_capture(path)
    assert str(caught.value) == (f"{path}: not a capture file (unknown magic 0x68656c6c; "
                                 f"expected pcap or pcapng)")


def test_relative_path_is_named_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "notes.txt", b"hello")
    with pytest.raises(CaptureError, match=r"^notes\.txt: not a capture file \(unknown magic 0x68656c6c"):
        open_capture("notes.txt")


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty.pcap", b"")
    with pytest.raises(CaptureError, match=r"empty\.pcap: empty file \(not a capture file\)$"):
        open_capture(path)


def test_file_shorter_than_a_magic_number(tmp_path):
    with pytest.raises(CaptureError, match=r"short\.pcap: not a capture file \(only 3 bytes\)"):
        open_capture(write(tmp_path, "short.pcap", b"\xd4\xc3\xb2"))


def test_truncated_pcap_file_header(tmp_path):
    with pytest.raises(CaptureError, match=r"h\.pcap: truncated pcap file header \(10 of 24 bytes\)"):
        open_capture(write(tmp_path, "h.pcap", small_pcap()[:10]))


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.pcap"
    with pytest.raises(CaptureError) as caught:
        open_capture(path)
    assert str(caught.value) == f"{path}: no such file"


def test_directory(tmp_path):
    with pytest.raises(CaptureError) as caught:
        open_capture(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, not a capture file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions and a non-root user (root may read any file)")
def test_no_permission(tmp_path):
    path = write(tmp_path, "secret.pcap", small_pcap())
    path.chmod(0)
    with pytest.raises(CaptureError) as caught:
        open_capture(path)
    assert str(caught.value) == f"{path}: permission denied"


def test_errors_are_one_line(tmp_path):
    for path in (write(tmp_path, "a.txt", b"x\ny\nz\n"), tmp_path / "missing", tmp_path):
        with pytest.raises(CaptureError) as caught:
            open_capture(path)
        assert "\n" not in str(caught.value)


# -- gzip --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("builder, fmt", [(small_pcap, "pcap"), (small_pcapng, "pcapng")])
def test_gzip_of_either_format(tmp_path, builder, fmt):
    plain = write(tmp_path, "plain.bin", builder())
    zipped = write(tmp_path, "zipped.bin", gzip.compress(builder()))
    with open_capture(plain) as reader:
        expected = [(f.number, f.ts_ns, f.origlen, f.iface, f.linktype, f.data) for f in reader]
    with open_capture(zipped) as reader:
        got = [(f.number, f.ts_ns, f.origlen, f.iface, f.linktype, f.data) for f in reader]
        assert reader.compressed and reader.format == fmt
        assert reader.bytes_read == zipped.stat().st_size
    assert got == expected and len(got) == 5
    assert reader.warnings == []


def test_gzip_highly_compressible(tmp_path):
    # 3 MB of zeros in a few kB: decompression output arrives in bounded pieces, nothing is lost at the end.
    data = pcap_file([(i, 0, bytes(10_000)) for i in range(300)])
    path = write(tmp_path, "zeros.pcap.gz", gzip.compress(data, 9))
    with open_capture(path) as reader:
        frames = list(reader)
    assert len(frames) == 300 and all(f.data == bytes(10_000) for f in frames)
    assert reader.warnings == []


def test_gzip_several_members_and_zero_padding(tmp_path):
    data = small_pcap(5)
    cut = 24 + 3 * (16 + 52)  # somewhere inside the fourth record
    zipped = gzip.compress(data[:cut]) + b"\0" * 10 + gzip.compress(data[cut:])
    path = write(tmp_path, "multi.pcap.gz", zipped)
    with open_capture(path) as reader:
        assert len(list(reader)) == 5
    assert reader.warnings == []


def test_gzip_cut_short_keeps_earlier_frames(tmp_path):
    records = random_records()
    zipped = gzip.compress(pcap_file(records))
    path = write(tmp_path, "cut.pcap.gz", zipped[:len(zipped) // 2])
    warnings = []
    with open_capture(path, on_warning=warnings.append) as reader:
        frames = list(reader)
    assert 50 < len(frames) < 300
    assert [f.data for f in frames] == [data for _, _, data in records[:len(frames)]]
    assert warnings == reader.warnings
    assert any("gzip" in w.message and "cut short" in w.message for w in warnings)


def test_gzip_corrupt_data_keeps_earlier_frames(tmp_path):
    records = random_records()
    zipped = bytearray(gzip.compress(pcap_file(records)))
    middle = len(zipped) // 2
    zipped[middle:middle + 64] = b"\xff" * 64
    with open_capture(write(tmp_path, "bad.pcap.gz", bytes(zipped))) as reader:
        frames = list(reader)
    # Random bytes go into stored deflate blocks, where damage may show only at the CRC check; frames before
    # the damaged spot (about the middle) must come out intact, and the damage must be reported.
    assert len(frames) >= 120
    assert [f.data for f in frames[:120]] == [data for _, _, data in records[:120]]
    assert reader.warnings  # from zlib, or from the record the damage lands in


def test_gzip_trailing_garbage_is_a_warning(tmp_path):
    path = write(tmp_path, "tail.pcap.gz", gzip.compress(small_pcap()) + b"not gzip")
    with open_capture(path) as reader:
        assert len(list(reader)) == 5
    assert ["trailing garbage" in w.message for w in reader.warnings] == [True]


def test_gzip_of_text_is_not_a_capture(tmp_path):
    path = write(tmp_path, "notes.txt.gz", gzip.compress(b"hello world"))
    with pytest.raises(CaptureError, match=r"notes\.txt\.gz: gzip-compressed data: not a capture file "
                                           r"\(unknown magic 0x68656c6c"):
        open_capture(path)


def test_gzip_of_nothing(tmp_path):
    with pytest.raises(CaptureError, match=r"z\.gz: gzip-compressed data: empty file"):
        open_capture(write(tmp_path, "z.gz", gzip.compress(b"")))


def test_broken_gzip_header(tmp_path):
    with pytest.raises(CaptureError, match=r"b\.gz: gzip: corrupt compressed data"):
        open_capture(write(tmp_path, "b.gz", b"\x1f\x8b\x08\x00garbage-garbage-garbage"))


def test_gzip_truncated_record_names_decompressed_offset(tmp_path):
    data = small_pcap(3) + pcap_record(9, 9, packet(9, 100))[:30]
    with open_capture(write(tmp_path, "t.gz", gzip.compress(data))) as reader:
        assert len(list(reader)) == 3
    (warning,) = reader.warnings
    assert warning.offset == len(small_pcap(3))


# -- the reader object -------------------------------------------------------------------------------

def test_reader_attributes_and_progress(tmp_path):
    records = [(i, 0, packet(i, 1000)) for i in range(1000)]
    path = write(tmp_path, "p.pcap", pcap_file(records))
    reader = open_capture(path)
    assert isinstance(reader, CaptureReader)
    assert reader.path == str(path) and reader.format == "pcap" and reader.compressed is False
    assert reader.size == path.stat().st_size
    progress = []
    with reader:
        for _frame in reader:
            progress.append(reader.bytes_read)
    assert progress == sorted(progress)
    assert progress[0] < reader.size  # read in chunks, not all at once
    assert reader.bytes_read == reader.size
    assert "format='pcap'" in repr(reader)


def test_capture_warning_text():
    warning = CaptureWarning("x.pcap", 1234, "record 7: file ends in the middle of a packet")
    assert str(warning) == "x.pcap: offset 1234: record 7: file ends in the middle of a packet"
    assert (warning.path, warning.offset) == ("x.pcap", 1234)
    assert warning.message == "record 7: file ends in the middle of a packet"


def test_iteration_closes_the_file_at_the_end(tmp_path):
    path = write(tmp_path, "c.pcap", small_pcap())
    reader = open_capture(path)
    assert len(list(reader)) == 5
    assert reader._source._file.closed


def test_memory_does_not_grow_with_file_size(tmp_path):
    records = [(i, 0, packet(i, 1000)) for i in range(20_000)]  # a 20 MB file
    path = write(tmp_path, "big.pcap", pcap_file(records))
    tracemalloc.start()
    try:
        count = sum(1 for _ in open_capture(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 2_000_000, f"peak {peak} bytes while reading a {path.stat().st_size} byte file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (POSIX)")
def test_reads_from_a_pipe_without_seeking(tmp_path):
    fifo = tmp_path / "live.pcap"
    os.mkfifo(fifo)
    data = pcap_file([(i, 0, packet(i, 300)) for i in range(2000)])

    def feed():
        with open(fifo, "wb") as pipe:
            for start in range(0, len(data), 4093):  # odd-sized writes: records arrive in pieces
                pipe.write(data[start:start + 4093])
                pipe.flush()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        with open_capture(fifo) as reader:
            frames = list(reader)
    finally:
        feeder.join(timeout=10)
    assert len(frames) == 2000 and reader.warnings == []
    assert frames[-1].data == packet(1999, 300)
