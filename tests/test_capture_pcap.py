"""Classic pcap reading: byte orders, us/ns resolution, link type bits, chunk boundaries, damaged tails."""

from __future__ import annotations

import struct

import pytest
from capture_builders import packet, pcap_file, pcap_header, pcap_record

from analyzer.capture import CaptureWarning, Frame, open_capture
from analyzer.capture.pcap import CHUNK_SIZE


def write(tmp_path, data: bytes, name: str = "t.pcap"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path, **kwargs) -> tuple[list[Frame], list[CaptureWarning]]:
    with open_capture(path, **kwargs) as reader:
        frames = list(reader)
    return frames, reader.warnings


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nanosecond", [False, True])
def test_both_byte_orders_and_resolutions(tmp_path, order, nanosecond):
    frac = 123456789 if nanosecond else 123456
    data = pcap_file([(1_700_000_000, frac, packet(1, 60)), (1_700_000_001, 999, packet(2, 42))],
                     order=order, nanosecond=nanosecond, linktype=113)
    path = write(tmp_path, data)
    with open_capture(path) as reader:
        frames = list(reader)
        assert reader.format == "pcap"
        assert not reader.compressed
        assert reader.nanosecond is nanosecond
        assert reader.linktype == 113
    assert [f.number for f in frames] == [1, 2]
    first_ns = 123456789 if nanosecond else 123456000
    second_ns = 999 if nanosecond else 999000
    assert frames[0].ts_ns == 1_700_000_000 * 10**9 + first_ns
    assert frames[1].ts_ns == 1_700_000_001 * 10**9 + second_ns
    # classic pcap has no interfaces: iface is None (tshark shows no frame.interface_id there)
    assert [(f.caplen, f.origlen, f.iface, f.linktype) for f in frames] == [(60, 60, None, 113),
                                                                            (42, 42, None, 113)]
    assert frames[0].data == packet(1, 60) and frames[1].data == packet(2, 42)
    assert reader.warnings == []


def test_snaplen_cut_frame_keeps_origlen(tmp_path):
    path = write(tmp_path, pcap_header() + pcap_record(1, 2, packet(1, 68), origlen=1514))
    (frame,), warnings = read_all(path)
    assert (frame.caplen, frame.origlen, frame.truncated) == (68, 1514, True)
    assert warnings == []


def test_linktype_fcs_bits_are_masked(tmp_path):
    # Top 4 bits: FCS length 2 (in 16-bit words) and the F bit, as in the pcap draft.
    network = (0b0011 << 28) | 1
    path = write(tmp_path, pcap_header(linktype=network) + pcap_record(1, 0, packet(1)))
    (frame,), _ = read_all(path)
    assert frame.linktype == 1


def test_header_only_file_is_valid_and_empty(tmp_path):
    path = write(tmp_path, pcap_header(">", nanosecond=True))
    frames, warnings = read_all(path)
    assert frames == [] and warnings == []


def test_records_across_chunk_boundaries(tmp_path):
    # Sizes chosen so records straddle every read boundary, including one larger than a chunk.
    sizes = [1, 15, 16, 17, 1000, CHUNK_SIZE - 7, 3, CHUNK_SIZE + 5000, 60, 200_000, 9] * 3
    records = [(i, i, bytes([i % 251]) * size) for i, size in enumerate(sizes)]
    path = write(tmp_path, pcap_file(records))
    with open_capture(path) as reader:
        frames = list(reader)
    assert [f.caplen for f in frames] == sizes
    assert all(f.data == bytes([i % 251]) * sizes[i] for i, f in enumerate(frames))
    assert [f.number for f in frames] == list(range(1, len(sizes) + 1))
    assert reader.bytes_read == path.stat().st_size == reader.size
    assert reader.warnings == []


def test_many_small_records_stream(tmp_path):
    records = [(1000 + i // 1000, (i % 1000) * 1000, packet(i, 60 + i % 7)) for i in range(20_000)]
    path = write(tmp_path, pcap_file(records))
    count = 0
    last_ts = 0
    for frame in open_capture(path):
        count += 1
        assert frame.ts_ns >= last_ts
        last_ts = frame.ts_ns
    assert count == 20_000


def test_truncated_inside_packet_data(tmp_path):
    good = pcap_record(10, 0, packet(1, 100)) + pcap_record(11, 0, packet(2, 100))
    cut = pcap_record(12, 0, packet(3, 100))[:16 + 40]
    path = write(tmp_path, pcap_header() + good + cut)
    seen = []
    frames, warnings = read_all(path, on_warning=seen.append)
    assert [f.number for f in frames] == [1, 2]
    assert seen == warnings and len(warnings) == 1
    warning = warnings[0]
    assert warning.offset == 24 + len(good)
    assert "40 of 100 bytes" in warning.message and "cut short" in warning.message
    assert str(warning) == f"{path}: offset {24 + len(good)}: {warning.message}"


def test_truncated_inside_record_header(tmp_path):
    good = pcap_record(10, 0, packet(1, 100), order=">")
    path = write(tmp_path, pcap_header(">") + good + b"\0\0\0\x0c\0\0")
    frames, warnings = read_all(path)
    assert len(frames) == 1
    assert [(w.offset, "record header (6 of 16 bytes)" in w.message) for w in warnings] == [(140, True)]


def test_absurd_caplen_stops_reading(tmp_path):
    good = pcap_record(10, 0, packet(1, 100))
    bad = pcap_record(11, 0, packet(2, 100), caplen=300_000)
    after = pcap_record(12, 0, packet(3, 100))
    path = write(tmp_path, pcap_header() + good + bad + after * 5000)
    frames, warnings = read_all(path)
    assert [f.number for f in frames] == [1]
    assert len(warnings) == 1
    assert warnings[0].offset == 24 + len(good)
    assert "caplen 300000 is absurd" in warnings[0].message


def test_caplen_larger_than_snaplen_is_accepted(tmp_path):
    # As in the corpus file malformed_record_caplen_gt_snaplen.pcap: Wireshark shows the frame.
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 1, 1)
    path = write(tmp_path, header + pcap_record(5, 6, packet(1, 8), origlen=78))
    (frame,), warnings = read_all(path)
    assert (frame.caplen, frame.origlen) == (8, 78)
    assert warnings == []


def test_next_and_early_close(tmp_path):
    path = write(tmp_path, pcap_file([(i, 0, packet(i)) for i in range(10)]))
    reader = open_capture(path)
    assert next(reader).number == 1
    assert next(iter(reader)).number == 2
    reader.close()
    reader.close()
    assert list(reader) == []


def test_format_is_sniffed_not_taken_from_the_extension(tmp_path):
    path = write(tmp_path, pcap_file([(1, 0, packet(1))]), name="looks_like.pcapng")
    with open_capture(path) as reader:
        assert reader.format == "pcap"
        assert len(list(reader)) == 1
