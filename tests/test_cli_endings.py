"""How every command ends when it cannot finish normally (issue 14): Ctrl-C and SIGTERM give one line and
130/143, a bug gives ``analyzer: internal error`` with the frame and exit 3, never a traceback, and an
interrupted command leaves no half-written output under the name asked for.

The interrupted commands read a capture from a FIFO: the test writes the file's first frames and keeps the
FIFO open, so each command is certainly in the middle of its input when the signal arrives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from report_builders import ACK, SYN, eth, ipv4, pcap, tcp

from analyzer.cli._output import atomic_output

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT / "captures" / "lab_page_fetch.pcapng"


def env() -> dict:
    e = dict(os.environ)
    e.pop("ANALYZER_TRACEBACK", None)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def _head() -> bytes:
    """A pcap with a handshake in it, as the first part of an endless input."""
    frames = [eth(ipv4("10.0.0.1", "10.0.0.2", 6, tcp("10.0.0.1", "10.0.0.2", 40000 + i, 80, 1, 0, SYN)))
              for i in range(20)]
    frames.append(eth(ipv4("10.0.0.2", "10.0.0.1", 6, tcp("10.0.0.2", "10.0.0.1", 80, 40000, 9, 2, SYN | ACK))))
    return pcap(frames)


COMMANDS = {
    "read": ["read", "{in}"],
    "read-w": ["read", "{in}", "-w", "{out}/copy.pcapng"],
    "conversations": ["conversations", "{in}"],
    "follow": ["follow", "{in}", "0"],
    "flow": ["flow", "{in}"],
    "http": ["http", "{in}"],
    "dns": ["dns", "{in}"],
    "export-objects": ["export-objects", "{in}", "{out}/objects"],
    "timeline": ["timeline", "{in}"],
    "har": ["har", "{in}", "-o", "{out}/x.har"],
    "report": ["report", "{in}", "-o", "{out}/x.html"],
}


@pytest.mark.parametrize("sig, commands", [(signal.SIGINT, list(COMMANDS)),
                                           (signal.SIGTERM, ["read-w", "export-objects", "har"])],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_input_ends_every_command_with_one_line(tmp_path, sig, commands):
    head = _head()
    procs = {}
    for name in commands:
        args = COMMANDS[name]
        fifo = tmp_path / f"{name}.fifo"
        os.mkfifo(fifo)
        out = tmp_path / f"{name}.out"
        out.mkdir()
        argv = [a.format(**{"in": fifo, "out": out}) for a in args]
        proc = subprocess.Popen([sys.executable, "-m", "analyzer", *argv], env=env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        procs[name] = (proc, fifo, out)
    writers = []
    for _proc, fifo, _out in procs.values():
        fd = os.open(fifo, os.O_WRONLY)          # returns once the command has opened its input
        os.write(fd, head)
        writers.append(fd)
    time.sleep(1.0)                              # each command reads the frames, then waits for more
    for proc, _fifo, _out in procs.values():
        assert proc.poll() is None
        proc.send_signal(sig)
    expected = {signal.SIGINT: (130, "analyzer: interrupted"), signal.SIGTERM: (143, "analyzer: terminated")}
    try:
        for name, (proc, _fifo, out) in procs.items():
            _stdout, stderr = proc.communicate(timeout=30)
            err = stderr.decode("utf-8", "replace")
            assert (proc.returncode, err) == (expected[sig][0], expected[sig][1] + "\n"), name
            left = [p.name for p in out.rglob("*") if p.is_file()]
            assert left == [], (name, left)          # no output, not even a partial one under a hidden name
    finally:
        for fd in writers:
            os.close(fd)
        for proc, _fifo, _out in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_a_bug_is_an_internal_error_naming_the_frame(monkeypatch, capsys):
    """A decoder that fails on frame 5 stands in for any bug: exit 3, what was printed is kept, the frame is
    named, and no traceback."""
    import analyzer.pipeline
    from analyzer.cli.main import main

    real = analyzer.pipeline.decode

    def broken(frame, *args, **kwargs):
        if frame.number == 5:
            raise IndexError("a bug")
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(analyzer.pipeline, "decode", broken)
    # the timeline reads most TCP segments headers-only, straight into the TCP tracker: fail there too
    from analyzer.tcp.connection import TcpTracker

    real_segment = TcpTracker.segment

    def broken_segment(self, ts, num, *args, **kwargs):
        if num == 5:
            raise IndexError("a bug")
        return real_segment(self, ts, num, *args, **kwargs)

    monkeypatch.setattr(TcpTracker, "segment", broken_segment)
    monkeypatch.delenv("ANALYZER_TRACEBACK", raising=False)
    for command in (["read", str(CAPTURE)], ["timeline", str(CAPTURE)], ["http", str(CAPTURE)]):
        with pytest.raises(SystemExit) as info:
            main.main(command, prog_name="analyzer")
        assert info.value.code == 3, command
        out, err = capsys.readouterr()
        lines = err.splitlines()
        assert lines[0] == f"analyzer: internal error: IndexError: a bug (at frame 5) in '{command[0]}'", err
        assert lines[1].startswith("analyzer: this is a bug in analyzer: please report it")
        assert len(lines) == 2 and "Traceback" not in err
        if command[0] == "read":           # the four frames before it were printed, and flushed
            assert [line.split()[0] for line in out.splitlines()] == ["1", "2", "3", "4"]


def test_the_traceback_is_there_on_request(monkeypatch, capsys):
    import analyzer.pipeline
    from analyzer.cli.main import main

    monkeypatch.setattr(analyzer.pipeline, "decode", lambda *a, **k: 1 / 0)
    monkeypatch.setenv("ANALYZER_TRACEBACK", "1")
    with pytest.raises(SystemExit) as info:
        main.main(["conversations", str(CAPTURE)], prog_name="analyzer")
    assert info.value.code == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err and "internal error" in err


def test_a_closed_pipe_is_quiet():
    run = subprocess.run(f"{sys.executable} -m analyzer read {CAPTURE} | head -1; "
                         f"{sys.executable} -m analyzer timeline {CAPTURE} | head -1; "
                         "echo ${PIPESTATUS[0]}",
                         shell=True, executable="/bin/bash", capture_output=True, env=env(), timeout=120,
                         check=False)
    assert run.stderr == b"", run.stderr
    assert run.stdout.decode().splitlines()[-1] in ("0", "141")


def test_atomic_output_renames_on_success_and_removes_on_failure(tmp_path):
    target = tmp_path / "x.pcapng"
    target.write_text("old")
    os.chmod(target, 0o640)
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".pcapng" and tmp.name.startswith(".")
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["x.pcapng"]
    with atomic_output(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pcapng"]
    with atomic_output(os.devnull) as tmp:      # not a regular file: written in place, never replaced
        assert str(tmp) == os.devnull
    assert Path(os.devnull).is_char_device()


def test_output_through_a_link_replaces_the_file_it_names_never_the_link(tmp_path):
    """``-o`` through a symbolic link: the file it points to is replaced and the link stays; ``-o
    /dev/stdout`` (a link to /proc/self/fd/1) writes to whatever stdout is, here a file the caller opened.
    Renaming onto the link replaced ``/dev/stdout`` itself with a regular file (found running ``har -o
    /dev/stdout`` with stdout redirected to a file, as root)."""
    real = tmp_path / "real.har"
    real.write_text("old")
    link = tmp_path / "link.har"
    link.symlink_to(real)
    with atomic_output(link) as tmp:
        Path(tmp).write_text("new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.har", "real.har"]
    out = tmp_path / "stdout.har"
    with open(out, "wb") as stdout:
        proc = subprocess.run([sys.executable, "-m", "analyzer", "har", str(CAPTURE), "-o", "/proc/self/fd/1"],
                              stdout=stdout, stderr=subprocess.PIPE, env=env(), timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["log"]["entries"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.har", "real.har", "stdout.har"]


def test_bounds_set_on_the_command_line_reach_every_tracker(monkeypatch, capsys):
    from analyzer.cli.main import main
    from analyzer.tcp import connection, reassembly
    from analyzer.tcp.connection import TcpTracker

    monkeypatch.setattr(connection, "RUN_DEFAULTS", dict(connection.RUN_DEFAULTS))
    monkeypatch.setattr(reassembly, "RUN_DEFAULTS", dict(reassembly.RUN_DEFAULTS))
    with pytest.raises(SystemExit) as info:
        main.main(["--max-reassembly", "64M", "--tcp-idle-timeout", "300", "--tcp-closed-linger", "4.5",
                   "--tcp-half-open-timeout", "20", "http", str(CAPTURE)], prog_name="analyzer")
    assert info.value.code == 0
    tracker = TcpTracker()
    assert (tracker.reassembly.limit, tracker.idle_timeout_ns, tracker.closed_linger_ns,
            tracker.half_open_timeout_ns) == (64 << 20, 300 * 10**9, 4_500_000_000, 20 * 10**9)
    assert TcpTracker(idle_timeout_ns=7).idle_timeout_ns == 7           # a caller's own value wins
    with pytest.raises(SystemExit) as info:
        main.main(["--max-reassembly", "lots", "http", str(CAPTURE)], prog_name="analyzer")
    assert info.value.code == 2 and "is not a size" in capsys.readouterr().err
    # "²" is a digit to str.isdigit() but not to int(): a usage error, not an internal one
    with pytest.raises(SystemExit) as info:
        main.main(["--max-reassembly", "\u00b2M", "http", str(CAPTURE)], prog_name="analyzer")
    assert info.value.code == 2 and "is not a size" in capsys.readouterr().err


def test_a_superscript_digit_as_flow_stream_is_a_file_name_not_a_crash(capsys):
    """`analyzer flow FILE STREAM` (the old form) takes a last argument of digits as the stream; "²" passes
    str.isdigit() yet int() refuses it. It is a file name then, and that file does not exist."""
    from analyzer.cli import main

    with pytest.raises(SystemExit) as info:
        main.main(["flow", str(CAPTURE), "\u00b2"], prog_name="analyzer")
    err = capsys.readouterr().err
    assert info.value.code == 2 and "\u00b2: no such file" in err and "internal error" not in err


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer", *args], cwd=cwd, env=env(), capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root (CI runs as root)")
def test_a_full_disk_under_w_names_the_file_and_leaves_nothing(tmp_path):
    """-w onto a file system with 8 KB free: one line naming the file the user gave (not the temporary one,
    not the capture being read), exit 2, and no file (whole or partial) left behind."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(disk)], check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        for name in ("copy.pcapng", "copy.pcap"):
            r = _run("read", str(ROOT / "captures" / "lab_https_page_fetch.pcapng"), "-w", str(disk / name),
                     cwd=tmp_path)
            assert r.returncode == 2, r.stderr
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"analyzer: error: {disk / name}: cannot write after ")
            assert lines[0].endswith("No space left on device"), lines
            assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_w_onto_a_device_that_fails_names_it(tmp_path):
    r = _run("read", str(CAPTURE), "-w", "/dev/full", "-Y", "tcp", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("analyzer: error: /dev/full: cannot write after "), r.stderr
