"""pcapng reading: sections in both byte orders, interfaces with their own link types and if_tsresol, every
packet block kind, blocks that carry no packets, and damaged blocks."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest
from capture_builders import (
    block,
    custom_block,
    epb,
    idb,
    isb,
    nrb,
    opb,
    option,
    packet,
    shb,
    spb,
)

from analyzer.capture import CaptureError, open_capture

SEC = 1_700_000_000  # a base time in seconds
NS = 10**9


def write(tmp_path, data: bytes, name: str = "t.pcapng"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path):
    with open_capture(path) as reader:
        frames = list(reader)
    return frames, reader.warnings


def multi_interface_file() -> bytes:
    """Three interfaces with different link types and resolutions; EPB, OPB, SPB and non-packet blocks."""
    return (
        shb("<")
        + idb(1, 70, "<", tsresol=0x94, name="eth0")  # Ethernet, 2^-20 s
        + idb(113, 0, "<", tsresol=3, tsoffset=100)  # Linux SLL, ms, +100 s
        + idb(101, 0, "<", tsresol=0x80 | 10)  # raw IP, 2^-10 s
        + idb(0, 0, "<")  # NULL, default us
        + epb(0, (SEC << 20) + 123457, packet(1))
        + epb(1, SEC * 1000 + 123, packet(2))
        + custom_block() + nrb() + isb()
        + epb(2, (SEC << 10) + 1023, packet(3))
        + opb(1, SEC * 1000 + 1999, packet(4))
        + block(0x12345678, b"unknown block kind")
        + spb(packet(5, 70), origlen=80)
        + epb(3, SEC * 10**6 + 5, packet(6, 44), origlen=1500)
    )


# (ts_ns, caplen, origlen, iface, linktype) Wireshark shows for multi_interface_file().
MULTI_EXPECTED = [
    (1700000000_117737770, 60, 60, 0, 1),
    (1700000100_123000000, 60, 60, 1, 113),
    (1700000000_999023437, 60, 60, 2, 101),
    (1700000101_999000000, 60, 60, 1, 113),
    (1700000101_999000000, 70, 80, 0, 1),  # SPB: no timestamp of its own, caplen cut to snaplen 70
    (1700000000_000005000, 44, 1500, 3, 0),
]


def test_interfaces_link_types_and_tsresol(tmp_path):
    frames, warnings = read_all(write(tmp_path, multi_interface_file()))
    assert [(f.ts_ns, f.caplen, f.origlen, f.iface, f.linktype) for f in frames] == MULTI_EXPECTED
    assert [f.number for f in frames] == [1, 2, 3, 4, 5, 6]
    assert [f.data[0] for f in frames] == [1, 2, 3, 4, 5, 6]
    assert frames[4].data == packet(5, 70)
    assert warnings == []


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_multi_interface_file_matches_tshark(tmp_path):
    path = write(tmp_path, multi_interface_file())
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.time_epoch",
                          "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_id",
                          "-e", "frame.encap_type"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    packets = [row for row in rows if row[4]]  # tshark 4 also lists some non-packet blocks, without encap
    expected = [(f"{ts // NS}.{ts % NS:09d}", str(origlen), str(caplen), str(iface))
                for ts, caplen, origlen, iface, _ in MULTI_EXPECTED]
    ours = [(row[0], row[1], row[2], row[3]) for row in packets]
    # The SPB has no timestamp: tshark prints none, we carry the previous frame's.
    assert ours[4][0] == ""
    assert [r for i, r in enumerate(ours) if i != 4] == [r for i, r in enumerate(expected) if i != 4]
    assert ours[4][1:] == expected[4][1:]


def test_sections_little_then_big_endian(tmp_path):
    data = (
        shb("<") + idb(1, 0, "<") + idb(0, 0, "<", tsresol=9)
        + epb(1, SEC * NS + 1, packet(1), order="<")
        + epb(0, SEC * 10**6 + 2, packet(2), order="<")
        # New section: interfaces start again from 0, byte order flips, resolution back to default.
        + shb(">", options=b"") + idb(113, 64, ">", tsresol=6) + idb(1, 0, ">", tsresol=0x80 | 30)
        + epb(1, (SEC << 30) + (1 << 29), packet(3), order=">")
        + spb(packet(4, 64), origlen=90, order=">")
        + epb(0, SEC * 10**6 + 3, packet(5), order=">")
        + shb("<") + idb(228, 0, "<")
        + epb(0, SEC * 10**6 + 4, packet(6), order="<")
    )
    frames, warnings = read_all(write(tmp_path, data))
    assert warnings == []
    assert [f.number for f in frames] == [1, 2, 3, 4, 5, 6]
    assert [(f.iface, f.linktype) for f in frames] == [(1, 0), (0, 1), (1, 1), (0, 113), (0, 113), (0, 228)]
    assert [f.ts_ns for f in frames] == [
        SEC * NS + 1, SEC * NS + 2000, SEC * NS + 500_000_000, SEC * NS + 500_000_000, SEC * NS + 3000,
        SEC * NS + 4000,
    ]
    assert (frames[3].caplen, frames[3].origlen) == (64, 90)  # SPB: cut to interface 0's snaplen
    assert [f.data[0] for f in frames] == [1, 2, 3, 4, 5, 6]


def test_big_endian_first_section(tmp_path):
    data = shb(">") + idb(1, 0, ">") + epb(0, SEC * 10**6, packet(1, 61), order=">")
    (frame,), warnings = read_all(write(tmp_path, data))
    assert (frame.ts_ns, frame.caplen, frame.linktype) == (SEC * NS, 61, 1)
    assert frame.data == packet(1, 61)
    assert warnings == []


def test_section_with_options_and_empty_sections(tmp_path):
    data = shb("<", options=option(4, b"writer app")) + shb(">") + shb("<") + idb(1) + epb(0, 5, packet(1))
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.ts_ns for f in frames] == [5000]
    assert warnings == []


def test_tsoffset_negative(tmp_path):
    data = shb() + idb(1, tsoffset=-10) + epb(0, SEC * 10**6, packet(1))
    (frame,), _ = read_all(write(tmp_path, data))
    assert frame.ts_ns == (SEC - 10) * NS


def test_undefined_interface_is_skipped_with_warning(tmp_path):
    head = shb() + idb(1)
    bad = epb(3, 10, packet(2))
    data = head + epb(0, 10, packet(1)) + bad + epb(0, 20, packet(3))
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.data[0] for f in frames] == [1, 3]
    assert [f.number for f in frames] == [1, 2]
    assert len(warnings) == 1
    assert warnings[0].offset == len(head) + len(epb(0, 10, packet(1)))
    assert "undefined interface 3" in warnings[0].message


def test_spb_before_any_interface_is_skipped(tmp_path):
    frames, warnings = read_all(write(tmp_path, shb() + spb(packet(1)) + idb(1) + spb(packet(2))))
    assert [f.data[0] for f in frames] == [2]
    assert "undefined interface 0" in warnings[0].message


def test_absurd_caplen_in_sane_block_is_skipped(tmp_path):
    head = shb() + idb(1)
    bad = epb(0, 1, packet(9, 300_000))
    data = head + bad + epb(0, 2, packet(2))
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.data[0] for f in frames] == [2]
    assert warnings[0].offset == len(head)
    assert "caplen 300000 is absurd" in warnings[0].message


def test_caplen_beyond_block_is_skipped(tmp_path):
    head = shb() + idb(1)
    data = head + epb(0, 1, packet(1, 40), caplen=100) + epb(0, 2, packet(2))
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.data[0] for f in frames] == [2]
    assert "runs past the end of the block" in warnings[0].message


@pytest.mark.parametrize("length, trailer, words", [
    (30, None, "not a multiple of 4"),
    (8, None, "less than 12"),
    (None, 999, "trailing length does not match"),
    (64 * 1024 * 1024, None, "absurd"),
])
def test_corrupt_block_framing_stops_with_warning(tmp_path, length, trailer, words):
    head = shb() + idb(1) + epb(0, 1, packet(1))
    corrupt = block(6, b"\0" * 40, length=length, trailer=trailer)
    data = head + corrupt + epb(0, 2, packet(2))
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.data[0] for f in frames] == [1]
    assert len(warnings) == 1
    assert warnings[0].offset == len(head)
    assert words in warnings[0].message


def test_truncated_last_block(tmp_path):
    head = shb() + idb(1) + epb(0, 1, packet(1)) + epb(0, 2, packet(2))
    data = head + epb(0, 3, packet(3))[:50]
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.number for f in frames] == [1, 2]
    assert len(warnings) == 1 and warnings[0].offset == len(head)
    assert "50 of 92 bytes" in warnings[0].message and "cut short" in warnings[0].message


def test_truncated_block_header(tmp_path):
    head = shb() + idb(1) + epb(0, 1, packet(1))
    frames, warnings = read_all(write(tmp_path, head + b"\x06\0\0"))
    assert len(frames) == 1
    assert warnings[0].offset == len(head) and "block header (3 of 8 bytes)" in warnings[0].message


def test_bad_option_list_keeps_interface(tmp_path):
    # if_tsresol claims 200 bytes: options are ignored, the interface (and its packets) stay.
    body = struct.pack("<HHI", 1, 0, 0) + struct.pack("<HH", 9, 200) + b"\x09\0\0\0"
    data = shb() + block(1, body) + epb(0, 7, packet(1))
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.ts_ns for f in frames] == [7000]  # default resolution: microseconds
    assert "option 9" in warnings[0].message


def test_later_section_with_bad_version_stops(tmp_path):
    data = shb() + idb(1) + epb(0, 1, packet(1)) + shb(major=2) + idb(1) + epb(0, 1, packet(2))
    frames, warnings = read_all(write(tmp_path, data))
    assert len(frames) == 1
    assert "unsupported pcapng version 2.0" in warnings[0].message


def test_first_section_with_bad_version_is_an_error(tmp_path):
    path = write(tmp_path, shb(major=2) + idb(1))
    with pytest.raises(CaptureError, match=r"t\.pcapng: unsupported pcapng version 2\.0"):
        open_capture(path)


def test_truncated_first_section_is_an_error(tmp_path):
    path = write(tmp_path, shb()[:20])
    with pytest.raises(CaptureError, match=r"t\.pcapng: section header block: file ends inside the block"):
        open_capture(path)


def test_bad_byte_order_magic_is_an_error(tmp_path):
    data = bytearray(shb())
    data[8:12] = b"\1\2\3\4"
    with pytest.raises(CaptureError, match="bad byte-order magic 0x01020304"):
        open_capture(write(tmp_path, bytes(data)))


def test_section_only_file_has_no_frames(tmp_path):
    frames, warnings = read_all(write(tmp_path, shb() + idb(1)))
    assert frames == [] and warnings == []


def test_big_blocks_across_read_boundaries(tmp_path):
    sizes = [100, 200_000, 5, 131_072, 131_000, 3, 250_000, 64] * 2
    data = shb() + idb(1) + b"".join(epb(0, i, bytes([i]) * size) for i, size in enumerate(sizes))
    path = write(tmp_path, data)
    with open_capture(path) as reader:
        frames = list(reader)
    assert [f.caplen for f in frames] == sizes
    assert all(f.data == bytes([i]) * size for i, (f, size) in enumerate(zip(frames, sizes, strict=True)))
    assert reader.bytes_read == len(data)
    assert reader.format == "pcapng"


def test_short_idb_keeps_interface_numbers(tmp_path):
    data = shb() + block(1, b"") + idb(113) + epb(0, 1, packet(1)) + epb(1, 2, packet(2))
    frames, warnings = read_all(write(tmp_path, data))
    assert [(f.iface, f.linktype, f.data[0]) for f in frames] == [(1, 113, 2)]
    assert "interface description block 0 is too short" in warnings[0].message
    assert "interface 0, whose description block is unusable" in warnings[1].message


def test_timestamps_beyond_the_int64_range_are_clamped_with_one_warning(tmp_path):
    # A corrupt if_tsresol/if_tsoffset, as a fuzzer made it: raw 2**64-1 at ns resolution is year 2554, and a
    # later frame 1 ns after the epoch is fine. Every later stage (numpy columns, datetime) relies on the range.
    top = (1 << 64) - 1
    data = (shb() + idb(tsresol=9) + epb(0, top, packet(1)) + epb(0, top, packet(2)) + epb(0, 1, packet(3))
            + spb(packet(4)))
    frames, warnings = read_all(write(tmp_path, data))
    assert [f.ts_ns for f in frames] == [(1 << 63) - 1, (1 << 63) - 1, 1, 1]
    assert len(warnings) == 1 and "timestamp out of range" in str(warnings[0])
    assert str(warnings[0]).startswith(str(tmp_path / "t.pcapng"))
