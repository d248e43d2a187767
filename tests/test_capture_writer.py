"""Writing captures: pcap (us/ns) and pcapng round trips, interface remapping, flush-as-you-go, errors."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest
from capture_builders import epb, idb, packet, shb

from analyzer.capture import CaptureError, Frame, open_capture, open_writer
from analyzer.capture.writer import PcapngWriter, PcapWriter

NS = 10**9
T0 = 1_700_000_000 * NS + 123_456_789


def frames_of(path) -> list[tuple]:
    with open_capture(path) as reader:
        frames = [(f.number, f.ts_ns, f.caplen, f.origlen, f.iface, f.linktype, f.data) for f in reader]
    assert reader.warnings == []
    return frames


def sample(n: int = 4, linktype: int = 1) -> list[Frame]:
    return [Frame(i + 1, T0 + i * 1_000_001, 60 + i if i % 2 else 1514, 0, linktype, packet(i, 60 + i))
            for i in range(n)]


def test_extension_picks_the_format(tmp_path):
    for name, kind in [("a.pcapng", PcapngWriter), ("b.NTAR", PcapngWriter), ("c.pcap", PcapWriter),
                       ("d.cap", PcapWriter), ("e", PcapWriter)]:
        with open_writer(tmp_path / name) as writer:
            assert isinstance(writer, kind)


def test_pcap_round_trip_microseconds(tmp_path):
    path = tmp_path / "out.pcap"
    with open_writer(path) as writer:
        for frame in sample():
            writer.write(frame)
    assert path.read_bytes()[:4] == b"\xd4\xc3\xb2\xa1"
    got = frames_of(path)
    # classic pcap keeps no interface id: frames read back have none
    expected = [(f.number, f.ts_ns // 1000 * 1000, f.caplen, f.origlen, None, 1, f.data) for f in sample()]
    assert got == expected


def test_pcap_round_trip_nanoseconds(tmp_path):
    path = tmp_path / "out.pcap"
    with open_writer(path, nanosecond=True, linktype=113) as writer:
        for frame in sample(linktype=113):
            writer.write(frame)
    assert path.read_bytes()[:4] == b"\x4d\x3c\xb2\xa1"
    assert frames_of(path) == [(f.number, f.ts_ns, f.caplen, f.origlen, None, 113, f.data)
                               for f in sample(linktype=113)]


def test_pcapng_round_trip_remaps_interfaces(tmp_path):
    # Frames as they come out of a two-section file: (iface 0, ether) and (iface 1, null) in the first, then
    # (iface 0, SLL) in the second; later frames reuse the IDBs already written.
    source = [
        Frame(1, T0, 60, 0, 1, packet(1)),
        Frame(2, T0 + 1, 60, 1, 0, packet(2)),
        Frame(3, T0 + 2, 60, 0, 113, packet(3)),
        Frame(4, T0 + 3, 1500, 0, 1, packet(4)),
        Frame(5, T0 + 4, 60, 1, 0, packet(5)),
    ]
    path = tmp_path / "out.pcapng"
    with open_writer(path) as writer:
        for frame in source:
            writer.write(frame)
        assert writer.interfaces == {(0, 1): 0, (1, 0): 1, (0, 113): 2}
    got = frames_of(path)
    assert [(ts, cap, orig, iface, lt, data) for _, ts, cap, orig, iface, lt, data in got] == [
        (T0, 60, 60, 0, 1, packet(1)),
        (T0 + 1, 60, 60, 1, 0, packet(2)),
        (T0 + 2, 60, 60, 2, 113, packet(3)),
        (T0 + 3, 60, 1500, 0, 1, packet(4)),
        (T0 + 4, 60, 60, 1, 0, packet(5)),
    ]


def test_pcapng_idb_has_nanosecond_tsresol(tmp_path):
    path = tmp_path / "out.pcapng"
    with open_writer(path) as writer:
        writer.write(Frame(1, T0, 60, 0, 1, packet(1)))
    data = path.read_bytes()
    shb_len = struct.unpack_from("<I", data, 4)[0]
    idb_type, idb_len, linktype, _, snaplen = struct.unpack_from("<IIHHI", data, shb_len)
    assert (idb_type, linktype, snaplen) == (1, 1, 262144)
    assert struct.pack("<HHB", 9, 1, 9) in data[shb_len:shb_len + idb_len]


def test_pcap_cannot_mix_link_types(tmp_path):
    path = tmp_path / "mixed.pcap"
    with open_writer(path) as writer:
        writer.write(Frame(1, T0, 60, 0, 1, packet(1)))
        with pytest.raises(CaptureError) as caught:
            writer.write(Frame(7, T0, 60, 1, 113, packet(2)))
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot write frame 7: its link type 113 differs")
    assert "pcapng" in message
    assert len(frames_of(path)) == 1


def test_pcap_linktype_given_up_front_is_enforced(tmp_path):
    with open_writer(tmp_path / "x.pcap", linktype=101) as writer, \
            pytest.raises(CaptureError, match="frame 1: its link type 1 differs"):
        writer.write(Frame(1, T0, 60, 0, 1, packet(1)))


def test_flush_leaves_a_valid_file_while_writing(tmp_path):
    for name in ("live.pcap", "live.pcapng"):
        path = tmp_path / name
        writer = open_writer(path, linktype=1)
        for i, frame in enumerate(sample(6), start=1):
            writer.write(frame)
            writer.flush()
            assert len(frames_of(path)) == i
        writer.close()
        writer.close()
        assert len(frames_of(path)) == 6


def test_header_written_before_first_frame_when_linktype_given(tmp_path):
    path = tmp_path / "idle.pcap"
    with open_writer(path, linktype=113) as writer:
        writer.flush()
        assert frames_of(path) == []
        with open_capture(path) as reader:
            assert reader.linktype == 113


def test_empty_writers_close_to_valid_files(tmp_path):
    for name in ("none.pcap", "none.pcapng"):
        path = tmp_path / name
        open_writer(path).close()
        assert frames_of(path) == []


def test_snaplen_cuts_data_and_keeps_origlen(tmp_path):
    for name in ("s.pcap", "s.pcapng"):
        path = tmp_path / name
        with open_writer(path, snaplen=64) as writer:
            writer.write(Frame(1, T0, 1514, 0, 1, packet(1, 1514)))
        ((_, _, caplen, origlen, _, _, data),) = frames_of(path)
        assert (caplen, origlen, data) == (64, 1514, packet(1, 64))


@pytest.mark.parametrize("name, kind", [("old.pcap", "classic pcap"), ("old.pcapng", "pcapng")])
def test_timestamp_out_of_range(tmp_path, name, kind):
    path = tmp_path / name
    with open_writer(path) as writer:
        writer.write(Frame(1, T0, 60, 0, 1, packet(1)))
        with pytest.raises(CaptureError, match=f"frame 3: timestamp -5 ns or length 60 does not fit {kind}"):
            writer.write(Frame(3, -5, 60, 0, 1, packet(3)))
        writer.write(Frame(4, T0, 60, 0, 1, packet(4)))
    assert [row[0] for row in frames_of(path)] == [1, 2]  # the bad frame left nothing behind


def test_write_after_close(tmp_path):
    writer = open_writer(tmp_path / "c.pcap")
    writer.close()
    with pytest.raises(CaptureError, match="writer is closed"):
        writer.write(Frame(1, T0, 60, 0, 1, packet(1)))


def test_cannot_create(tmp_path):
    with pytest.raises(CaptureError, match=r"nodir/x\.pcap: cannot write: No such file or directory"):
        open_writer(tmp_path / "nodir" / "x.pcap")
    with pytest.raises(CaptureError, match="cannot write: is a directory"):
        open_writer(tmp_path)


@pytest.mark.skipif(not __import__("os").path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("name", ["full.pcap", "full.pcapng"])
def test_a_full_disk_is_a_capture_error_naming_the_file(tmp_path, name):
    """Writing to /dev/full fails with ENOSPC when the buffer goes out: a CaptureError that names the file
    (or the name given for it) and how far it got, once; closing afterwards does not fail again."""
    writer = open_writer("/dev/full", linktype=1) if name.endswith("pcap") else PcapngWriter("/dev/full")
    writer.name = str(tmp_path / name)
    with pytest.raises(CaptureError) as info:
        for frame in sample(400):
            writer.write(frame)
        writer.close()
    assert str(info.value).startswith(f"{tmp_path / name}: cannot write after ")
    assert str(info.value).endswith("No space left on device")
    writer.close()


def test_copy_of_a_crafted_multi_section_file(tmp_path):
    source = tmp_path / "in.pcapng"
    source.write_bytes(shb(">") + idb(1, order=">", tsresol=3) + epb(0, 5, packet(1), order=">")
                       + shb("<") + idb(0) + idb(1) + epb(1, 6, packet(2)) + epb(0, 7, packet(3)))
    target = tmp_path / "out.pcapng"
    with open_capture(source) as reader, open_writer(target) as writer:
        for frame in reader:
            writer.write(frame)
    assert [row[1:] for row in frames_of(target)] == [
        (5_000_000, 60, 60, 0, 1, packet(1)),
        (6_000, 60, 60, 1, 1, packet(2)),  # (iface 1, ether): a new IDB, distinct from (0, ether)
        (7_000, 60, 60, 2, 0, packet(3)),
    ]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize("name, nanosecond", [("w.pcap", False), ("w.pcap", True), ("w.pcapng", False)])
def test_tshark_reads_what_we_write(tmp_path, name, nanosecond):
    path = tmp_path / name
    with open_writer(path, nanosecond=nanosecond) as writer:
        for frame in sample(5):
            writer.write(frame)
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.time_epoch",
                          "-e", "frame.len", "-e", "frame.cap_len"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert rows == [[f"{ts // NS}.{ts % NS:09d}", str(origlen), str(caplen)]
                    for _, ts, caplen, origlen, *_ in frames_of(path)]
    assert len(rows) == 5


# -- keeping what describes the source (issue 13) -----------------------------------------------------------
def _described_source(tmp_path):
    """A pcapng with a named, filtered interface at microseconds and one at nanoseconds, and an application."""
    from capture_builders import option

    source = tmp_path / "described.pcapng"
    named = (struct.pack("<HHI", 1, 0, 0) + option(2, b"eth0") + option(11, b"\x00tcp port 80")
             + option(12, b"Linux 6.1") + option(9, b"\x06") + struct.pack("<HH", 0, 0))
    from capture_builders import block
    source.write_bytes(shb(options=option(4, b"dumpcap (Wireshark) 4.0.17") + option(3, b"Linux 6.1"))
                       + block(1, named) + idb(1, tsresol=9, name="lo")
                       + epb(0, 1_700_000_000_123_456, packet(1)) + epb(1, 1_700_000_000_123_456_789, packet(2)))
    return source


def test_pcapng_copy_keeps_interfaces_resolution_and_application(tmp_path):
    source = _described_source(tmp_path)
    target = tmp_path / "copy.pcapng"
    with open_capture(source) as reader, open_writer(target, source=reader) as writer:
        for frame in reader:
            writer.write(frame)
    with open_capture(target) as reader:
        frames = list(reader)
        first, second = reader.interface(frames[0]), reader.interface(frames[1])
        assert (first.tsresol, second.tsresol) == (6, 9)
        assert dict(first.options) == {2: b"eth0", 11: b"\x00tcp port 80", 12: b"Linux 6.1"}
        assert dict(second.options) == {2: b"lo"}
        assert dict(reader.section_options) == {4: b"dumpcap (Wireshark) 4.0.17", 3: b"Linux 6.1"}
    with open_capture(source) as reader:
        assert [f.ts_ns for f in frames] == [f.ts_ns for f in reader]


def test_pcap_from_a_nanosecond_source_is_a_nanosecond_pcap(tmp_path):
    ns_source = tmp_path / "ns.pcap"
    with open_writer(ns_source, nanosecond=True) as writer:
        for frame in sample(3):
            writer.write(frame)
    for source, nanosecond in ((ns_source, True), (_described_source(tmp_path), False)):
        target = tmp_path / f"copy-{source.stem}.pcap"
        with open_capture(source) as reader, open_writer(target, source=reader) as writer:
            for frame in reader:
                writer.write(frame)
        with open_capture(target) as reader:
            list(reader)
            assert reader.nanosecond is nanosecond      # the first frame's interface decides (us, then ns)
