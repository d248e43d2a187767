"""Regenerate :mod:`analyzer.filter._vocabulary` (the field table) from the installed tshark.

    python -m analyzer.filter._generate [--corpus DIR ...]

The table holds, with the type that decides how a literal is read:

* every field tshark defines for the protocols the analyzer decodes (``tshark -G fields``, the rows whose
  protocol is one of :data:`DECODED`);
* which of those the analyzer actually produces (``PRODUCED``): the field names written in the decoder and
  analysis sources (``analyzer/decode``, ``analyzer/tcp``, ``analyzer/apps``, ``analyzer/flows``,
  ``analyzer/pipeline.py``) plus the names seen on packets when the captures given with ``--corpus`` run
  through the pipeline with the HTTP/DNS transaction stage;
* names the analyzer produces that this tshark does not define, typed from the values seen;
* the filter names of every protocol tshark knows (``tshark -G protocols``), so that a filter naming a
  protocol the analyzer does not decode gets an error that says so.

Not imported by the analyzer; the generated module is committed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("_vocabulary.py")
SOURCES = ["analyzer/decode", "analyzer/tcp", "analyzer/apps", "analyzer/flows", "analyzer/pipeline.py"]
DEFAULT_CORPUS = [ROOT / "captures", ROOT.parent / "shared" / "corpus"]

# Layer names the decoders and stages put on packets (Wireshark's protocol filter names).
DECODED = ("frame", "eth", "vlan", "ieee8021ad", "ieee8021ah", "sll", "null", "raw", "arp", "ip", "ipv6",
           "ipv6.hopopts", "ipv6.dstopts", "ipv6.routing", "ipv6.fraghdr", "icmp", "icmpv6", "udp", "tcp",
           "dns", "mdns", "llmnr", "http", "http2", "http3", "ssdp", "tls", "quic", "websocket", "x509af", "x509ce",
           "x509sat", "x509if", "pkcs1")

# tshark's FT_* types -> the filter's value kinds (analyzer.filter._values).
KINDS = {
    "FT_NONE": "none", "FT_PROTOCOL": "proto", "FT_BOOLEAN": "bool",
    "FT_UINT8": "int", "FT_UINT16": "int", "FT_UINT24": "int", "FT_UINT32": "int", "FT_UINT40": "int",
    "FT_UINT48": "int", "FT_UINT56": "int", "FT_UINT64": "int", "FT_INT8": "int", "FT_INT16": "int",
    "FT_INT24": "int", "FT_INT32": "int", "FT_INT40": "int", "FT_INT48": "int", "FT_INT56": "int",
    "FT_INT64": "int", "FT_FRAMENUM": "int", "FT_CHAR": "int",
    "FT_FLOAT": "float", "FT_DOUBLE": "float", "FT_RELATIVE_TIME": "time", "FT_ABSOLUTE_TIME": "abstime",
    "FT_IPv4": "ipv4", "FT_IPv6": "ipv6", "FT_ETHER": "ether", "FT_EUI64": "bytes",
    "FT_BYTES": "bytes", "FT_UINT_BYTES": "bytes",
}
VIRTUAL: tuple[str, ...] = ()   # names the filter computes are added by analyzer.filter._fields


def tshark(*args: str) -> str:
    return subprocess.run(["tshark", *args], capture_output=True, text=True, encoding="utf-8",
                          check=True).stdout


def tshark_fields() -> dict[str, tuple[str, str]]:
    """Name -> (kind, protocol) of the fields of the decoded protocols, and of the protocols themselves
    (``tcp``, and sub-protocols such as ``tcp.options.mss``: presence tests, and their bytes)."""
    out = {}
    for row in tshark("-G", "fields").split("\n"):
        cols = row.split("\t")
        # a field's protocol, or its name's first part (pkcs1.* fields belong to the protocol "pkcs-1")
        if len(cols) > 4 and cols[0] == "F" and (cols[4] in DECODED or cols[2].split(".")[0] in DECODED):
            out[cols[2]] = (KINDS.get(cols[3], "string"), cols[4])
        elif len(cols) > 2 and cols[0] == "P" and (cols[2] in DECODED or cols[2].split(".")[0] in DECODED):
            out[cols[2]] = ("proto", cols[2])
    return out


def tshark_protocols() -> list[str]:
    return sorted({row.split("\t")[2] for row in tshark("-G", "protocols").split("\n") if row.count("\t") >= 2})


def source_names(known: dict[str, tuple[str, str]]) -> set[str]:
    """Field names quoted in the decoder and analysis sources that tshark defines."""
    names: set[str] = set()
    pattern = re.compile(r"[\"']([a-z0-9_]+(?:\.[A-Za-z0-9_]+)+)[\"']")   # x509af.serialNumber too
    for rel in SOURCES:
        path = ROOT / rel
        for file in ([path] if path.is_file() else sorted(path.rglob("*.py"))):
            for name in pattern.findall(file.read_text(encoding="utf-8")):
                if name in known:
                    names.add(name)
    return names


def observed(corpus: list[Path]) -> dict[str, set[str]]:
    """Field name -> kinds of the values seen, over the captures run through the whole pipeline."""
    sys.path.insert(0, str(ROOT))
    from analyzer.apps.transactions import Transactions
    from analyzer.capture import CaptureError, open_capture
    from analyzer.pipeline import Pipeline

    seen: dict[str, set[str]] = {}
    for folder in corpus:
        for path in sorted(folder.glob("*.pcap*")):
            tx = Transactions()
            pipe = Pipeline(sinks=tx.factories)
            try:
                with open_capture(path) as reader:
                    for pkt in pipe.run(reader):
                        tx.packet(pkt)
                        for name, value in pkt.fields.items():
                            for v in value if isinstance(value, list) else [value]:
                                seen.setdefault(name, set()).add(_kind_of(v))
            except CaptureError:
                continue
    return seen


def _kind_of(value: object) -> str:
    if isinstance(value, int):
        return "int"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    if isinstance(value, str) and value.startswith("0x"):
        return "int"
    return "string"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", help="capture folders to run (repeatable)")
    args = parser.parse_args(argv)
    version = tshark("--version").split("\n")[0]
    known = tshark_fields()
    protocols = tshark_protocols()
    seen = observed(args.corpus or [p for p in DEFAULT_CORPUS if p.is_dir()])
    produced = source_names(known) | {name for name in seen if name in known} | set(VIRTUAL)
    extra = {}
    for name, kinds in sorted(seen.items()):
        if name not in known:
            extra[name] = kinds.pop() if len(kinds) == 1 else "string"
            produced.add(name)
    by_kind: dict[str, list[str]] = {}
    for name, (kind, _proto) in sorted(known.items()):
        by_kind.setdefault(kind, []).append(name)
    for name, kind in extra.items():
        by_kind.setdefault(kind, []).append(name)
    lines = [
        '"""Generated by ``python -m analyzer.filter._generate``: do not edit by hand.',
        "",
        f"Fields of the protocols the analyzer decodes, from {version} (``tshark -G fields``), by value",
        "kind; the ones the analyzer produces; every protocol name tshark knows (``tshark -G protocols``).",
        '"""',
        "",
        f"TSHARK_VERSION = {version!r}",
        f"DECODED_PROTOCOLS = frozenset({sorted(DECODED)!r})",
        "",
        "FIELDS_BY_KIND = {",
    ]
    for kind in sorted(by_kind):
        lines.append(f"    {kind!r}: \"\"\"")
        lines += _wrap(sorted(by_kind[kind]))
        lines.append('""",')
    lines.append("}")
    lines.append("")
    lines.append('PRODUCED = """')
    lines += _wrap(sorted(produced))
    lines.append('"""')
    lines.append("")
    lines.append(f"NOT_IN_TSHARK = frozenset({sorted(extra)!r})")
    lines.append("")
    lines.append('WIRESHARK_PROTOCOLS = """')
    lines += _wrap(protocols)
    lines.append('"""')
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {sum(len(v) for v in by_kind.values())} fields, {len(produced)} produced, "
          f"{len(extra)} not in tshark, {len(protocols)} protocols")
    return 0


def _wrap(names: list[str], width: int = 106) -> list[str]:
    lines, line = [], ""
    for name in names:
        if line and len(line) + 1 + len(name) > width:
            lines.append(line)
            line = name
        else:
            line = f"{line} {name}" if line else name
    if line:
        lines.append(line)
    return lines


if __name__ == "__main__":
    sys.exit(main())
