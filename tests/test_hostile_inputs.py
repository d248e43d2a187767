"""Every command on hostile inputs (issue 14): files that are not captures, cut and damaged captures, pcapng
with odd blocks (fuzz/hostile.py builds them around a real page fetch). A command ends with exit 0, 1 or 2
and no traceback; an unusable input is exit 2 with one line naming the file; a damaged one keeps every frame
the damage did not take, before and after it, with a warning naming the file and the damage's offset.

Expected frames and offsets come from the inputs' construction (which frames were cut, skipped or kept, where
the damaged block starts), never from the analyzer's output. ``python -m fuzz.hostile`` runs the same inputs
(and a FIFO) through every command as separate processes.
"""

from __future__ import annotations

import io
import os
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz import hostile
from fuzz.targets import command

FRAMES = hostile.page_frames()
INPUTS = hostile.inputs(FRAMES)
HALF = len(FRAMES) // 2

# the commands each input goes through ("{in}", "{out}" a scratch folder)
COMMANDS = (
    ("read", "{in}"), ("read", "{in}", "-V", "-x"), ("read", "{in}", "--json"),
    ("read", "{in}", "-Y", "tcp.analysis.flags or http"), ("conversations", "{in}"), ("follow", "{in}", "0"),
    ("flow", "{in}"), ("http", "{in}"), ("dns", "{in}", "--json"), ("export-objects", "{in}", "{out}/objects"),
    ("timeline", "{in}", "--json"), ("timeline", "{in}", "--lang", "zh"), ("har", "{in}", "-o", "{out}/x.har"),
    ("report", "{in}", "-o", "{out}/x.html"), ("nat", "{in}", "{in}"),
)
UNUSABLE = {
    "empty": "empty file", "text": "not a capture file", "html": "not a capture file",
    "zeros-4k": "not a capture file", "pcap-header-cut": "truncated pcap file header", "gzip-garbage": "gzip",
}


def _ng_offset(*parts: bytes) -> int:
    return sum(len(p) for p in parts)


SHB, IDB = hostile.shb(), hostile.idb()
NG_A = hostile.pcapng(FRAMES[:HALF])
PCAP_A = hostile.pcap(FRAMES[:HALF])
LAST_RECORD = len(hostile.pcap(FRAMES)) - 16 - len(FRAMES[-1][1])
LAST_EPB = _ng_offset(SHB, IDB, NG_A, hostile.pcapng(FRAMES[HALF:-1]))
# damaged input -> (indexes of the frames kept, the offset a warning names, or None for no warning)
DAMAGED = {
    "pcap-cut-in-record-header": (range(1), 24 + 16 + len(FRAMES[0][1])),
    "pcap-cut-in-record-data": (range(len(FRAMES) - 1), LAST_RECORD),
    "pcap-record-caplen-huge": (range(HALF), len(PCAP_A)),
    "pcapng-epb-before-idb": (range(HALF, len(FRAMES)), len(SHB)),
    "pcapng-epb-bad-interface": ([i for i in range(len(FRAMES)) if i != HALF], _ng_offset(SHB, IDB, NG_A)),
    "pcapng-epb-caplen-past-block": ([i for i in range(len(FRAMES)) if i != HALF], _ng_offset(SHB, IDB, NG_A)),
    "pcapng-block-length-bad": (range(HALF), _ng_offset(SHB, IDB, NG_A)),
    "pcapng-block-length-huge": (range(HALF), _ng_offset(SHB, IDB, NG_A)),
    "pcapng-cut": (range(len(FRAMES) - 1), LAST_EPB),
    "pcapng-other-byte-order-section": (range(len(FRAMES)), None),
    "pcapng-unknown-block": (range(len(FRAMES)), None),
    "pcapng-unknown-linktype": (range(len(FRAMES)), None),
    "pcap-snaplen-64": (range(len(FRAMES)), None),
    "pcapng-idb-snaplen-20": (range(len(FRAMES)), None),
}


class _Kept(io.BytesIO):
    """What a command wrote, kept when the command closes its stdout."""

    def close(self) -> None:
        pass


def run(args: list[str], capsys) -> tuple[int, str, str]:
    """``analyzer ARGS`` in-process: exit code, stdout (through a strict UTF-8 writer, as to a terminal), stderr."""
    import click

    capsys.readouterr()
    out = _Kept()
    saved = sys.stdout
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    try:
        cmd = command(args[0])
        try:
            cmd.main(args[1:], prog_name=f"analyzer {args[0]}", standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except click.exceptions.UsageError as exc:
            exc.show()
            code = 2
        sys.stdout.flush()
    finally:
        sys.stdout = saved
    return code, out.getvalue().decode("utf-8"), capsys.readouterr().err


def _argv(cmd: tuple, path: Path | str, out: Path) -> list[str]:
    out.mkdir(exist_ok=True)
    return [a.format(**{"in": path, "out": out}) for a in cmd]


@pytest.mark.parametrize("name", [*UNUSABLE, "directory", "/dev/null", "missing"])
def test_an_unusable_input_is_one_line_naming_it_and_exit_2(name, tmp_path, capsys):
    if name == "directory":
        path = tmp_path / "empty-folder"
        path.mkdir()
    elif name == "/dev/null":
        path = Path("/dev/null")
    elif name == "missing":
        path = tmp_path / "no-such.pcap"
    else:
        path = tmp_path / name
        path.write_bytes(INPUTS[name])
    for cmd in COMMANDS:
        code, _out, err = run(_argv(cmd, path, tmp_path), capsys)
        assert code == 2, (cmd, code, err)
        last = err.strip().splitlines()[-1]
        assert last.startswith(f"analyzer: error: {path}") or f"'{path}'" in last, (cmd, err)
        assert UNUSABLE.get(name, "") in last, (cmd, err)
        assert "Traceback" not in err


def _stamps(text: str) -> list[int]:
    return [int(line.split("\t")[0]) for line in text.splitlines()]


@pytest.mark.parametrize("name", list(DAMAGED))
def test_a_damaged_capture_keeps_every_frame_the_damage_did_not_take(name, tmp_path, capsys):
    kept, offset = DAMAGED[name]
    path = tmp_path / name
    path.write_bytes(INPUTS[name])
    code, out, err = run(["read", str(path), "-T", "fields", "-e", "frame.len", "-e", "eth.src"], capsys)
    assert code == 0, err
    want = [f"{len(FRAMES[i][1])}\t{':'.join(f'{b:02x}' for b in FRAMES[i][1][6:12])}" for i in kept]
    if name == "pcapng-unknown-linktype":           # its first interface's frames are not Ethernet
        want = [w.split("\t")[0] + "\t" for w in want[:HALF]] + want[HALF:]
    assert out.splitlines() == want
    if offset is None:
        assert "warning" not in err, err
    else:
        assert f"analyzer: warning: {path}: offset {offset}:" in err, err
    # every other command ends normally on it, and the explaining ones still see the page's frames
    for cmd in COMMANDS:
        code, out, err = run(_argv(cmd, path, tmp_path / cmd[0]), capsys)
        # (follow: no stream 0 when the damage left no TCP; nat: no flow pairs when it left almost nothing)
        assert code == 0 or (cmd[0], code) in (("follow", 2), ("nat", 1)), (cmd, code, err)
        assert "Traceback" not in err and "internal error" not in err, (cmd, err)


@pytest.mark.parametrize("name, seconds", [("pcapng-tsresol-2^-63", 2.0 ** -63), ("pcapng-tsresol-seconds", 1),
                                           ("pcapng-tsresol-10^-127", None), ("pcapng-tsresol-2^-127", None),
                                           ("pcapng-tsresol-2^0-huge-ts", None)])
def test_if_tsresol_extremes_keep_every_frame(name, seconds, tmp_path, capsys):
    """Each frame is read; its time is its raw value times the resolution (tshark's arithmetic); a resolution
    that makes times beyond what a timestamp holds is named with the offset of the first such frame."""
    path = tmp_path / name
    path.write_bytes(INPUTS[name])
    code, out, err = run(["read", str(path), "-T", "fields", "-e", "frame.len", "-e", "frame.time_epoch"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == [len(d) for _, d in FRAMES]
    if seconds is not None:
        div = 10**9 if name.endswith("seconds") else 1000
        want = [(ts // div) * seconds for ts, _ in FRAMES]
        got = [float(line.split("\t")[1]) for line in lines]
        assert got == pytest.approx(want, rel=1e-6, abs=1e-9)
    if name.endswith("huge-ts"):
        assert f"analyzer: warning: {path}: offset {len(SHB) + len(hostile.idb(tsresol=0x80))}:" in err, err
    for cmd in COMMANDS:
        code, _out, err = run(_argv(cmd, path, tmp_path / cmd[0]), capsys)
        assert code == 0, (cmd, code, err)


def test_a_fifo_is_read_as_the_file_it_carries(tmp_path, capsys):
    """A capture through a FIFO (read once, no seeking) gives what the file gives."""
    import threading

    data = hostile.pcap(FRAMES)
    plain = tmp_path / "page.pcap"
    plain.write_bytes(data)
    for cmd in (("timeline", "{in}", "--json"), ("conversations", "{in}"), ("http", "{in}"), ("read", "{in}")):
        fifo = tmp_path / "page.fifo"
        os.mkfifo(fifo)

        def feed(fifo=fifo):
            with open(fifo, "wb") as f:
                f.write(data)
        writer = threading.Thread(target=feed)
        writer.start()
        got = run(_argv(cmd, fifo, tmp_path), capsys)
        writer.join(10)
        fifo.unlink()
        want = run(_argv(cmd, plain, tmp_path), capsys)
        assert got[0] == want[0] == 0
        assert got[1] == want[1].replace(str(plain), str(fifo))
        assert got[1]


def test_the_inputs_are_what_they_say():
    """The constructions hold what the tests above rely on (a damaged block where DAMAGED says)."""
    data = INPUTS["pcapng-block-length-bad"]
    off = DAMAGED["pcapng-block-length-bad"][1]
    assert struct.unpack_from("<II", data, off) == (6, 13)
    data = INPUTS["pcap-record-caplen-huge"]
    assert struct.unpack_from("<I", data, DAMAGED["pcap-record-caplen-huge"][1] + 8)[0] == 0x7FFFFFF0
    assert INPUTS["pcapng-epb-before-idb"][len(SHB):len(SHB) + 4] == b"\x06\0\0\0"



@pytest.mark.parametrize("cmd", [("timeline", "{in}", "{in2}"), ("har", "{in}", "{in2}", "-o", "{out}/x.har"),
                                 ("report", "{in}", "{in2}", "-o", "{out}/x.html"), ("read", "{in}", "{in2}")])
def test_a_damaged_file_among_several_warns_once(cmd, tmp_path, capsys):
    """The explaining commands read two files twice (whether they are the two sides of a NAT, then the
    fetches): each warning was printed twice."""
    damaged = tmp_path / "cut.pcap"
    damaged.write_bytes(INPUTS["pcap-cut-in-record-data"])
    args = [a.format(**{"in": hostile.PAGE, "in2": damaged, "out": tmp_path}) for a in cmd]
    code, _out, err = run(args, capsys)
    assert code == 0, err
    want = f"analyzer: warning: {damaged}: offset {LAST_RECORD}:"
    assert [line for line in err.splitlines() if "warning" in line and "offset" in line] == [
        line for line in err.splitlines() if line.startswith(want)]
    assert err.count(want) == 1, err


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
def test_an_error_while_reading_the_next_batch_is_that_error(error):
    """Ctrl-C while a command waits for more input (a FIFO, a slow disk) interrupts the read into a batch's
    buffer: the compiled join released its buffer view with the KeyboardInterrupt still set, which made a
    SystemError (conversations ended with an internal error, exit 3, instead of 130)."""
    from analyzer.compiled import compiled

    read_joined = compiled("read_joined")
    if read_joined is None:
        pytest.skip("the compiled helper is not built")
    seen = []

    def readinto(view):
        seen.append(view)
        raise error("while reading")

    with pytest.raises(error, match="while reading"):
        read_joined(b"tail", readinto, 16)
    with pytest.raises(ValueError):                 # the view was released: it cannot be written after
        seen[0][0] = 1
