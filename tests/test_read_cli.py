"""``analyzer read``: options, errors (exit 2, one line, no traceback), damaged files, -c, -w, pipes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from report_builders import (
    ACK,
    BROADCAST,
    ETH_ARP,
    MAC_A,
    MAC_B,
    SYN,
    arp,
    eth,
    icmp_echo,
    ipv4,
    pcap,
    tcp,
    tcp_options,
)

from analyzer.capture import open_capture

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "analyzer", *map(str, args)], capture_output=True, cwd=ROOT, check=False,
                          timeout=120, **kwargs)


def frames() -> list[bytes]:
    c, s = "192.168.1.10", "93.184.216.34"
    return [
        eth(arp(1, MAC_A, "192.168.1.10", "00:00:00:00:00:00", "192.168.1.1"), ETH_ARP, dst=BROADCAST),
        eth(arp(2, MAC_B, "192.168.1.1", MAC_A, "192.168.1.10"), ETH_ARP, src=MAC_B, dst=MAC_A),
        eth(ipv4(c, s, 6, tcp(c, s, 52084, 80, 1000, 0, SYN,
                              options=tcp_options(mss=1460, sack_perm=True, ts=(1, 0), ws=7)))),
        eth(ipv4(s, c, 6, tcp(s, c, 80, 52084, 5000, 1001, SYN | ACK, 65160,
                              options=tcp_options(mss=1400, sack_perm=True, ts=(9, 1), ws=7)))),
        eth(ipv4(c, s, 6, tcp(c, s, 52084, 80, 1001, 5001, ACK, 502))),
        eth(ipv4(c, s, 1, icmp_echo(True, 0x2093, 1))),
    ]


@pytest.fixture
def capture(tmp_path) -> Path:
    path = tmp_path / "six.pcap"
    path.write_bytes(pcap(frames()))
    return path


def assert_clean_error(result, *needles):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    err = result.stderr.decode()
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    assert result.stdout == b""


# -- errors ------------------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    missing = tmp_path / "nope.pcap"
    assert_clean_error(run("read", missing), str(missing))


def test_text_file_is_not_a_capture(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("this is not a capture file\n" * 10)
    assert_clean_error(run("read", text), str(text), "not a capture")


def test_directory(tmp_path):
    assert_clean_error(run("read", tmp_path), str(tmp_path), "directory")


def test_directory_of_captures_with_filter_and_fields(tmp_path):
    # a directory is several captures merged by time: -Y and -T fields take them frame by frame (the header
    # columns read one file's batches); in-process, the test is about the paths taken
    from click.testing import CliRunner

    from analyzer.cli.main import main

    for name in ("lab_page_fetch.pcapng", "lab_dns_mix.pcapng"):
        (tmp_path / name).write_bytes((ROOT / "captures" / name).read_bytes())

    def lines(*args):
        result = CliRunner().invoke(main, ["read", *args, str(tmp_path)])
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()

    every = lines()
    shown = lines("-Y", "tcp.port == 80")
    assert shown == [line for line in every if line in set(shown)]      # the same lines, in the same order
    assert [line for line in every if re.search(r" (80 →|→ 80) ", line)] == [s for s in shown if " TCP " in s] != []
    assert len(shown) < len(every)
    assert lines("-T", "fields", "-e", "frame.number") == [str(n) for n in range(1, len(every) + 1)]


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    assert_clean_error(run("read", empty), str(empty))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(capture):
    capture.chmod(0)
    assert_clean_error(run("read", capture), str(capture))


def test_usage_errors(capture, tmp_path):
    for args in (["read"], ["read", capture, "-r", capture], ["read", "--json", "-V", capture],
                 ["read", "-c", "0", capture], ["read", capture, "-w", capture]):
        result = run(*args)
        assert result.returncode == 2, args
        assert b"Traceback" not in result.stderr
        assert result.stdout == b""
    assert capture.read_bytes() == pcap(frames())  # -w onto the input was refused, not truncated


def test_writer_error_is_one_line(capture, tmp_path):
    assert_clean_error(run("read", capture, "-w", tmp_path / "no" / "such" / "dir.pcap"), "dir.pcap")


# -- reading -----------------------------------------------------------------------------------------------

def test_summary_lines(capture):
    result = run("read", capture)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 6
    assert lines[0] == ("    1   0.000000 00:1a:6b:6c:0c:cc \u2192 ff:ff:ff:ff:ff:ff ARP 42 "
                        "Who has 192.168.1.1? Tell 192.168.1.10")
    assert lines[1].endswith("ARP 42 192.168.1.1 is at 00:1d:09:f0:92:ab")
    assert lines[2] == ("    3   0.002000 192.168.1.10 \u2192 93.184.216.34 TCP 74 52084 \u2192 80 [SYN] Seq=0 "
                        "Win=64240 Len=0 MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=128")
    assert "80 \u2192 52084 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1400" in lines[3]
    assert "52084 \u2192 80 [ACK] Seq=1 Ack=1 Win=64256 Len=0" in lines[4]  # 502 << 7: scaled window
    assert "Echo (ping) request  id=0x2093, seq=1/256, ttl=64" in lines[5]
    assert result.stderr == b""  # no progress: stderr is not a terminal


def test_r_option_equals_argument(capture):
    assert run("read", "-r", capture).stdout == run("read", capture).stdout


def test_count(capture):
    result = run("read", "-c", 2, capture)
    assert result.returncode == 0
    assert len(result.stdout.decode().splitlines()) == 2
    assert len(run("read", "--json", "-c", 3, capture).stdout.decode().splitlines()) == 3
    assert len(run("read", "-c", 100, capture).stdout.decode().splitlines()) == 6


def test_verbose_and_hex(capture):
    tree = run("read", "-V", "-c", 1, capture).stdout.decode()
    assert tree.startswith("Frame 1: 42 bytes on wire")
    assert "Address Resolution Protocol (request)" in tree
    both = run("read", "-V", "-x", "-c", 1, capture).stdout.decode()
    assert both.startswith(tree.rstrip("\n"))
    assert "0000  ff ff ff ff ff ff 00 1a 6b 6c 0c cc 08 06 00 01" in both
    hexonly = run("read", "-x", "-c", 1, capture).stdout.decode()
    assert hexonly.startswith("0000  ff ff ff ff ff ff")


def test_truncated_file_warns_with_offset_and_keeps_frames(tmp_path):
    data = pcap(frames())
    cut_at = len(data) - 10  # inside the last record
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:cut_at])
    last_record = len(pcap(frames()[:-1]))  # where the damaged record starts
    result = run("read", path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.decode().splitlines()) == 5
    err = result.stderr.decode()
    assert "Traceback" not in err
    assert str(path) in err and "warning" in err
    offsets = [int(n) for n in re.findall(r"offset (\d+)", err)]
    assert offsets and offsets[0] in (last_record, last_record + 16), err
    result = run("read", "--json", path)
    assert len(result.stdout.decode().splitlines()) == 5 and str(path) in result.stderr.decode()


@pytest.mark.skipif(not (CORPUS / "trunc_file_ends_mid_packet.pcap").exists(), reason="corpus file absent")
def test_corpus_file_cut_mid_packet():
    path = CORPUS / "trunc_file_ends_mid_packet.pcap"
    result = run("read", path)
    assert result.returncode == 0
    err = result.stderr.decode()
    assert str(path) in err and re.search(r"offset \d+", err), err


def test_decode_failure_is_shown_not_raised(tmp_path):
    c, s = "10.0.0.1", "10.0.0.2"
    syn = eth(ipv4(c, s, 6, tcp(c, s, 40000, 80, 1, 0, SYN, options=tcp_options(mss=1460, sack_perm=True))))
    path = tmp_path / "cut.pcap"
    path.write_bytes(pcap([(len(syn), syn[:40]), syn[:30] + b"\x00" * 4]))
    result = run("read", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].endswith("[Packet size limited during capture]"), lines[0]
    assert "[Malformed Packet]" in lines[1] or "ogus" in lines[1] or "runcated" in lines[1], lines[1]
    tree = run("read", "-V", path).stdout.decode()
    assert "[Packet size limited during capture" in tree and "Expert Info" in tree


# -- writing -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix,magic", [(".pcap", b"\xd4\xc3\xb2\xa1"), (".pcapng", b"\x0a\x0d\x0d\x0a")])
def test_write_round_trip(capture, tmp_path, suffix, magic):
    out = tmp_path / f"copy{suffix}"
    result = run("read", capture, "-w", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert out.read_bytes()[:4] == magic
    with open_capture(capture) as a, open_capture(out) as b:
        original = [(f.ts_ns, f.origlen, f.linktype, f.data) for f in a]
        copied = [(f.ts_ns, f.origlen, f.linktype, f.data) for f in b]
    assert copied == original
    assert run("read", out).stdout == run("read", capture).stdout


def test_write_selected_frames(capture, tmp_path):
    out = tmp_path / "first3.pcapng"
    result = run("read", capture, "-c", 3, "-w", out, "--json")
    assert result.returncode == 0
    assert len(result.stdout.decode().splitlines()) == 3  # --json with -w prints too
    with open_capture(out) as reader:
        assert [f.number for f in reader] == [1, 2, 3]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} absent")
@pytest.mark.parametrize("name", ["pcapng_11_interfaces_macos_dumpcap.pcapng", "linktype_sll2_icmp_icmpv6_arp.pcap"])
def test_write_round_trip_corpus(tmp_path, name):
    src = CORPUS / name
    if not src.exists():
        pytest.skip(f"{name} absent")
    out = tmp_path / "copy.pcapng"
    assert run("read", src, "-w", out).returncode == 0
    with open_capture(src) as a, open_capture(out) as b:
        assert [(f.ts_ns, f.origlen, f.linktype, f.data) for f in a] == \
               [(f.ts_ns, f.origlen, f.linktype, f.data) for f in b]
    assert run("read", out).stdout == run("read", src).stdout


# -- pipes and terminals -----------------------------------------------------------------------------------

def test_broken_pipe_is_quiet(tmp_path):
    path = tmp_path / "many.pcap"
    path.write_bytes(pcap(frames() * 300))  # more output than a pipe buffers
    cmd = f"{sys.executable} -m analyzer read {path} | head -n 2"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.decode().splitlines()) == 2
    assert result.stderr == b"", result.stderr.decode()


def test_no_progress_in_pipes_or_json(capture):
    for args in (["read", capture], ["read", "--json", capture]):
        assert run(*args).stderr == b""


def test_progress_throttled():
    from analyzer.cli.read import Progress

    class Sink:
        def __init__(self):
            self.writes = []

        def write(self, text):
            self.writes.append(text)

        def flush(self):
            pass

    class Reader:
        bytes_read = 5_000_000
        size = 10_000_000

    sink = Sink()
    progress = Progress(sink, Reader(), interval=0.0)
    progress.tick(1000)
    assert sink.writes and "1,000 frames" in sink.writes[-1] and "5.0 MB" in sink.writes[-1]
    assert "(50%)" in sink.writes[-1]
    progress.clear()
    assert sink.writes[-1] == "\r\x1b[K"
    slow = Progress(Sink(), Reader(), interval=60.0)
    for n in range(1, 100):
        slow.tick(n)
    assert slow.stream.writes == []  # nothing before the first interval has passed


def test_progress_on_terminal_stderr(tmp_path):
    """With stderr on a terminal and stdout redirected, progress is drawn on stderr; JSON never shows it."""
    pty = pytest.importorskip("pty")
    import threading

    path = tmp_path / "many.pcap"
    path.write_bytes(pcap(frames() * 3000))

    def stderr_of(*args):
        master, slave = pty.openpty()
        chunks: list[bytes] = []

        def drain():  # keep reading, or the child blocks once the terminal's buffer is full
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                chunks.append(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            subprocess.run([sys.executable, "-m", "analyzer", "read", *args, str(path)], cwd=ROOT, timeout=300,
                           stdout=subprocess.DEVNULL, stderr=slave, check=True)
        finally:
            os.close(slave)
            reader.join(timeout=10)
            os.close(master)
        return b"".join(chunks).decode()

    assert stderr_of("--json") == ""
    shown = stderr_of()
    assert "frames" in shown and "frames/s" in shown


def test_file_name_with_escape_sequence_is_shown_escaped(tmp_path):
    missing = tmp_path / "evil\x1b]0;owned\x07.pcap"
    result = run("read", missing)
    assert_clean_error(result, "evil\\x1b]0;owned\\x07.pcap")
    assert b"\x1b" not in result.stderr and b"\x07" not in result.stderr
