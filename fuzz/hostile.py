"""Hostile inputs through every command, as a user runs them (issue 14): each ``analyzer`` subcommand in a child
process on files that are not captures, cut and damaged captures, pcapng with odd blocks, an empty file, a
directory, /dev/null and a FIFO. Each run must end with exit 0, 1 or 2, no traceback, within a time bound; a
non-zero exit must say which file on its one line of stderr.

    python -m fuzz.hostile [--out DIR] [--only NAME] [--command CMD]    # prints one line per failure, then a count

The inputs are made here from the frames of a shipped capture (``captures/lab_page_fetch.pcapng``), so the good
frames around the damage are a real page fetch; tests/test_hostile_inputs.py checks what each command says and
keeps of them.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGE = REPO / "captures" / "lab_page_fetch.pcapng"
REPRO = REPO.parent / "shared" / "fuzz-repro"


def page_frames() -> list[tuple[int, bytes]]:
    """(timestamp ns, Ethernet bytes) of the shipped page fetch."""
    from analyzer.capture import open_capture

    with open_capture(PAGE) as reader:
        return [(f.ts_ns, bytes(f.data)) for f in reader]


# -- byte builders (from the format descriptions) ---------------------------------------------------------------


def pcap(frames, snaplen: int = 65535, cut: int | None = None, linktype: int = 1) -> bytes:
    """A nanosecond little-endian pcap; ``cut`` keeps that many bytes of each frame (a snaplen-cut capture)."""
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, snaplen if cut is None else cut, linktype)]
    for ts, data in frames:
        kept = data if cut is None else data[:cut]
        out.append(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(kept), len(data)) + kept)
    return b"".join(out)


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def block(btype: int, body: bytes, order: str = "<", length: int | None = None) -> bytes:
    body = _pad(body)
    total = len(body) + 12
    return struct.pack(order + "II", btype, total if length is None else length) + body + struct.pack(order + "I",
                                                                                                     total)


def shb(order: str = "<") -> bytes:
    return block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1), order)


def idb(linktype: int = 1, order: str = "<", tsresol: int | None = None, snaplen: int = 0) -> bytes:
    body = struct.pack(order + "HHI", linktype, 0, snaplen)
    if tsresol is not None:
        body += struct.pack(order + "HH", 9, 1) + _pad(bytes([tsresol])) + struct.pack(order + "HH", 0, 0)
    return block(1, body, order)


def epb(iface: int, ts: int, data: bytes, order: str = "<", caplen: int | None = None) -> bytes:
    head = struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data) if caplen is None else caplen,
                       len(data))
    return block(6, head + data, order)


def pcapng(frames, order: str = "<", iface: int = 0, ts_div: int = 1000) -> bytes:
    """Microsecond EPBs of ``frames`` on interface ``iface`` (no SHB or IDB: the caller puts them)."""
    return b"".join(epb(iface, ts // ts_div, data, order) for ts, data in frames)


# -- the inputs ----------------------------------------------------------------------------------------------------


def inputs(frames) -> dict[str, bytes]:
    """Name -> file bytes. Halves ``a`` and ``b`` of the page fetch sit around the damage where there is any."""
    half = len(frames) // 2
    a, b = frames[:half], frames[half:]
    good = pcap(frames)
    ng_a, ng_b = pcapng(a), pcapng(b)
    cases = {
        "empty": b"",
        "text": b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n" * 4,
        "html": b"<!doctype html><html><body>not a capture</body></html>\n",
        "zeros-4k": bytes(4096),
        "pcap-header-only": good[:24],
        "pcap-header-cut": good[:10],
        "pcap-cut-in-record-header": good[:24 + 16 + len(frames[0][1]) + 7],
        "pcap-cut-in-record-data": good[: len(good) - 11],
        "pcap-snaplen-64": pcap(frames, cut=64),
        "pcap-snaplen-14": pcap(frames, cut=14),
        "pcap-record-caplen-huge": pcap(a) + struct.pack("<IIII", 1, 0, 0x7FFFFFF0, 60) + bytes(60) + pcap(b)[24:],
        "pcap-unknown-linktype": pcap(frames, linktype=4242),
        "pcap-linktype-raw-on-ethernet": pcap(frames, linktype=101),
        "gzip-cut": gzip.compress(good, mtime=0)[:-40],
        "gzip-garbage": b"\x1f\x8b\x08\x00" + bytes(200),
        "pcapng-shb-only": shb(),
        "pcapng-epb-before-idb": shb() + ng_a + idb() + ng_b,
        "pcapng-epb-bad-interface": shb() + idb() + ng_a + pcapng(b[:1], iface=7) + pcapng(b[1:]),
        "pcapng-unknown-linktype": shb() + idb(linktype=4242) + idb() + pcapng(a, iface=0) + pcapng(b, iface=1),
        "pcapng-tsresol-2^-63": shb() + idb(tsresol=0x80 | 63) + ng_a + ng_b,
        "pcapng-tsresol-2^-127": shb() + idb(tsresol=0xFF) + ng_a + ng_b,
        "pcapng-tsresol-10^-127": shb() + idb(tsresol=127) + ng_a + ng_b,
        "pcapng-tsresol-seconds": shb() + idb(tsresol=0) + pcapng(a, ts_div=10**9) + pcapng(b, ts_div=10**9),
        "pcapng-tsresol-2^0-huge-ts": shb() + idb(tsresol=0x80) + pcapng(a, ts_div=1) + pcapng(b, ts_div=1),
        "pcapng-other-byte-order-section": shb() + idb() + ng_a + shb(">") + idb(order=">") + pcapng(b, ">"),
        "pcapng-block-length-bad": shb() + idb() + ng_a + block(6, bytes(40), length=13) + ng_b,
        "pcapng-block-length-huge": shb() + idb() + ng_a + block(6, bytes(40), length=0x7FFFFFF0) + ng_b,
        "pcapng-unknown-block": shb() + idb() + ng_a + block(0x0BADF00D, b"x" * 20) + ng_b,
        "pcapng-epb-caplen-past-block": shb() + idb() + ng_a + epb(0, 1, b[0][1], caplen=9999) + pcapng(b[1:]),
        "pcapng-cut": (shb() + idb() + ng_a + ng_b)[:-30],
        "pcapng-idb-snaplen-20": shb() + idb(snaplen=20) + ng_a + ng_b,
    }
    if REPRO.is_dir():
        for path in sorted(REPRO.iterdir()):
            if path.is_file() and path.suffix in (".pcap", ".pcapng", ".gz") and path.stat().st_size < 1 << 20:
                cases[f"repro-{path.name}"] = path.read_bytes()
    return cases


# The commands; "{in}" the input (twice for nat), "{out}" a scratch folder.
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("read", "{in}"), ("read", "{in}", "-V", "-x"), ("read", "{in}", "--json"),
    ("read", "{in}", "-T", "fields", "-e", "frame.number", "-e", "ip.src", "-e", "tcp.srcport"),
    ("read", "{in}", "-Y", "tcp.payload contains 47:45:54 or frame.len > 1000000000"),
    ("read", "{in}", "-Y", "frame.time >= \"1970-01-01 00:00:00\" and tcp.analysis.flags"),
    ("read", "{in}", "-w", "{out}/copy.pcapng"),
    ("conversations", "{in}"), ("conversations", "{in}", "--json"),
    ("follow", "{in}", "0"), ("follow", "{in}", "1", "--hex"), ("flow", "{in}"),
    ("http", "{in}"), ("http", "{in}", "--json"), ("dns", "{in}"), ("dns", "{in}", "--json"),
    ("export-objects", "{in}", "{out}/objects"),
    ("timeline", "{in}"), ("timeline", "{in}", "--json"), ("timeline", "{in}", "--lang", "zh"),
    ("har", "{in}", "-o", "{out}/x.har"), ("report", "{in}", "-o", "{out}/x.html"),
    ("logs", "{in}", "-o", "{out}/logs", "-j", "1", "--format", "tsv"),
    ("nat", "{in}", "{in}"),
)
SPECIAL = ("directory", "/dev/null", "fifo", "missing")


def _feed_fifo(path: str, data: bytes) -> threading.Thread:
    def feed():
        try:
            with open(path, "wb") as f:       # blocks until the command opens it for reading
                f.write(data)
        except OSError:
            pass
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return t


def run(args: list[str], timeout: float = 60) -> tuple[int | None, str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="120")
    try:
        proc = subprocess.run([sys.executable, "-m", "analyzer", *args], capture_output=True, timeout=timeout,
                              env=env, cwd=REPO, check=False)
    except subprocess.TimeoutExpired:
        return None, "", "timeout"
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def problem(args: list[str], path: str, code: int | None, err: str) -> str | None:
    """What is wrong with one run's ending, or None."""
    if code is None:
        return "hang (past the time bound)"
    if "Traceback" in err or "internal error" in err.lower():
        return "traceback: " + err.strip().splitlines()[-1][:300]
    if code not in (0, 1, 2):
        return f"exit {code}: {err.strip()[-300:]}"
    if code != 0 and Path(path).name not in err and path not in err:
        return f"exit {code} without naming the file: {err.strip()[:300]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.hostile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="write the inputs here (kept)")
    parser.add_argument("--only", action="append", help="an input name (default: all)")
    parser.add_argument("--command", action="append", help="a subcommand name (default: all)")
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    folder = args.out or Path(tempfile.mkdtemp(prefix="analyzer-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    good = pcap(page_frames())
    cases: dict[str, bytes | None] = dict(inputs(page_frames()))
    cases.update({name: None for name in SPECIAL})
    runs = failures = 0
    for name, data in cases.items():
        if args.only and name not in args.only:
            continue
        for cmd in COMMANDS:
            if args.command and cmd[0] not in args.command:
                continue
            out = folder / "out"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            path = str(folder / name)
            if name == "directory":
                Path(path).mkdir(exist_ok=True)
            elif name == "/dev/null":
                path = "/dev/null"
            elif name == "missing":
                path = str(folder / "no-such-file.pcap")
            elif name == "fifo":
                if os.path.exists(path):
                    os.unlink(path)
                os.mkfifo(path)
                _feed_fifo(path, good)
                if cmd[0] == "nat":
                    _feed_fifo(path, good)
            else:
                Path(path).write_bytes(data)
            argv_ = [a.format(**{"in": path, "out": out}) for a in cmd]
            code, _, err = run(argv_, args.timeout)
            runs += 1
            what = problem(argv_, path, code, err)
            if what:
                failures += 1
                print(f"{name}: analyzer {' '.join(cmd)}: {what}", flush=True)
            if name == "fifo":
                os.unlink(path)
                if code is None or code != 0:
                    # unblock a feeder still waiting for a reader
                    try:
                        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK) if os.path.exists(path) else None
                        if fd is not None:
                            os.close(fd)
                    except OSError:
                        pass
    print(f"hostile: {runs} runs, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
