"""``analyzer export-objects``: names made safe from hostile URIs (sans-IO), and the command writing every
response body — decoded — inside DIR and nowhere else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.http_dns import craft

from analyzer.cli.main import main
from analyzer.report.export_objects import MAX_NAME_BYTES, NamePlanner, inside, safe_name


@pytest.mark.parametrize("uri, ctype, expected", [
    ("/../../etc/passwd", None, "passwd"),
    ("/a/%2e%2e/%2e%2e/%2e%2e/etc/shadow", None, "shadow"),
    ("http://evil.example/../../../tmp/owned", None, "owned"),
    ("/nul%00byte.txt", None, "nul_byte.txt"),
    ("/CON", None, "_CON"),
    ("/aux.txt", None, "_aux.txt"),
    ("/com1.log", None, "_com1.log"),
    ("/dir/", "text/plain", "dir.txt"),
    ("/..%5c..%5cwindows%5cwin.ini", None, "win.ini"),
    ("/.hidden", None, "_hidden"),
    ("/...", None, "object"),
    ("/q?file=../../x&y=/etc/passwd", None, "q"),
    ("/%C3%A9t%C3%A9.txt", None, "\u00e9t\u00e9.txt"),
    ("/%1b%5b31mred", None, "_[31mred"),
    ("//etc/hosts", None, "hosts"),
    ("/", None, "index.html"),
    ("", None, "index.html"),
    (None, None, "index.html"),
    ("/a b:c*d?e", None, "a_b_c_d"),
    ("/x%E2%80%AEgpj.exe", None, "x_gpj.exe"),        # a bidi override that would show "exe.jpg"
    ("/report", "application/json; charset=utf-8", "report.json"),
    ("/C:%5cWindows%5csystem32", None, "system32"),
    ("/trailing.dots...", None, "trailing.dots"),
    ("/%ff%fe", None, "object"),
])
def test_safe_name(uri, ctype, expected):
    assert safe_name(uri, ctype) == expected


@pytest.mark.parametrize("uri", craft.HOSTILE_URIS + ["/" + "\u00e9" * 400, "/" + "a" * 1000 + "." + "b" * 40,
                                                      "/%2F%2F..%2F..", "/\\\\server\\share"])
def test_safe_names_are_plain_and_short(uri):
    name = safe_name(uri)
    assert name and name not in (".", "..")
    assert not any(c in name for c in "/\\\0")
    assert not name.startswith(".")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert all(c.isprintable() for c in name)


def test_very_long_name_keeps_its_extension():
    name = safe_name("/" + "A" * 300 + ".txt")
    assert name.endswith(".txt") and len(name.encode()) == MAX_NAME_BYTES


def test_planner_gives_duplicates_suffixes_case_insensitively():
    p = NamePlanner(taken=["Existing.txt"])
    assert [p.name("/dup.txt"), p.name("/dup.txt"), p.name("/DUP.txt"), p.name("/existing.txt")] == [
        "dup.txt", "dup(1).txt", "DUP(2).txt", "existing(1).txt"]
    long = "/" + "b" * 400 + ".bin"
    first, second = p.name(long), p.name(long)
    assert first != second and second.endswith("(1).bin") and len(second.encode()) <= MAX_NAME_BYTES


def test_planner_repeats_keep_counting_and_skip_names_already_taken():
    p = NamePlanner(taken=["a(2).txt", "A(5).TXT"])
    names = [p.name("/a.txt") for _ in range(8)]
    assert names == ["a.txt", "a(1).txt", "a(3).txt", "a(4).txt", "a(6).txt", "a(7).txt", "a(8).txt",
                     "a(9).txt"]
    assert p.name("/a(1).txt") == "a(1)(1).txt"        # a URI that looks like a repeat is its own base
    many = [p.name("/same") for _ in range(20_000)]     # linear: each repeat starts where the last ended
    assert len(set(many)) == 20_000 and many[-1] == "same(19999)"


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/b", "..", ".", "", "a\0b", "a\\b"])
def test_inside_refuses_anything_but_a_plain_name(tmp_path, bad):
    with pytest.raises(ValueError):
        inside(tmp_path, bad)


def test_inside_accepts_a_plain_name(tmp_path):
    assert inside(tmp_path, "x.txt") == tmp_path.resolve() / "x.txt"


# -- the command ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    return craft.build(tmp_path_factory.mktemp("export"), names={"http_hostile", "http_chunked_gzip",
                                                                 "http_cut", "http_keepalive"})


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_export_hostile_uris_stays_inside_dir(tmp_path, captures):
    out = tmp_path / "objects"
    sentinel = tmp_path / "outside.txt"
    sentinel.write_text("keep me")
    before = _tree(tmp_path)
    result = CliRunner().invoke(main, ["export-objects", str(captures["http_hostile"]), str(out)])
    assert result.exit_code == 0, result.output
    after = _tree(tmp_path)
    created = after - before
    assert all(c.startswith("objects") for c in created)          # nothing outside DIR
    files = sorted(out.iterdir())
    assert all(f.parent == out and f.is_file() for f in files)     # no sub-folders either
    assert len(files) == len(craft.HOSTILE_URIS)
    names = {f.name for f in files}
    # (a name without an extension gets one from the Content-Type, text/plain here)
    assert {"passwd.txt", "shadow.txt", "owned.txt", "nul_byte.txt", "_CON.txt", "_aux.txt", "dup.txt",
            "dup(1).txt", "win.ini", "_hidden.txt", "hosts.txt", "index.html"} <= names
    assert sentinel.read_text() == "keep me"
    # the gzip-encoded body (URI number 3, the long one) is written decoded
    (long_name,) = [n for n in names if n.startswith("AAAA")]
    assert (out / long_name).read_bytes() == b"body 3\n"
    assert len(long_name.encode()) <= MAX_NAME_BYTES
    assert "\x1b" not in result.output and "\u202e" not in result.output


def test_export_never_overwrites_or_follows_links(tmp_path, captures):
    out = tmp_path / "objects"
    out.mkdir()
    (out / "passwd.txt").write_text("mine")
    target = tmp_path / "victim"
    target.write_text("untouched")
    os.symlink(target, out / "shadow.txt")
    result = CliRunner().invoke(main, ["export-objects", str(captures["http_hostile"]), str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "passwd.txt").read_text() == "mine"
    assert (out / "passwd(1).txt").read_bytes() == b"body 0\n"
    assert target.read_text() == "untouched"
    assert (out / "shadow.txt").is_symlink()
    assert (out / "shadow(1).txt").read_bytes() == b"body 1\n"


def test_export_decodes_chunked_gzip_and_marks_cut_bodies(tmp_path, captures):
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["export-objects", str(captures["http_chunked_gzip"]), str(out)])
    assert result.exit_code == 0
    assert (out / "data.json").read_bytes() == craft.JSON_DOC * 20
    result = CliRunner().invoke(main, ["export-objects", str(captures["http_cut"]), str(out)])
    assert result.exit_code == 0
    assert (out / "small.txt").read_bytes() == b"tiny"
    assert (out / "big.iso").read_bytes() == b"\0" * (2000 - len(craft.response("200 OK", b"\0" * 10_000,
                                                                           "application/octet-stream"))
                                                      + 10_000)
    assert "incomplete" in result.output


def test_export_into_a_file_is_an_error(tmp_path, captures):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["export-objects", str(captures["http_keepalive"]), str(blocker)])
    assert result.exit_code == 2


def test_export_of_a_missing_capture_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["export-objects", str(tmp_path / "nope.pcap"), str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
