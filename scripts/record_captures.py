"""Re-record the lab_* and demo_* captures in captures/ with ``analyzer lab`` and ``analyzer demo`` (root).

    sudo python scripts/record_captures.py                  # all of them
    sudo python scripts/record_captures.py --only lab_dns_mix --only lab_lossy_fetch
    sudo python scripts/record_captures.py --only lab_nat   # lab_nat-inside.pcapng and lab_nat-outside.pcapng

Each recording runs the project's own code end to end: the lab (network namespaces on documentation
addresses, in one of its topologies: the default client-router-servers, ``nat``, ``same-subnet``, ``hub``,
``switch``; the project's own servers, so the result does not depend on what is installed) or the demo
(loopback), captured by ``analyzer capture``. A lab that captures in several places leaves several files
(``lab_nat-inside`` and ``lab_nat-outside``; ``lab_hub-observer`` and ``lab_hub-client``), the HTTPS one its
key log beside the capture; they are checked together. Every file is checked with tshark for what it is meant
to show, and only then copied into captures/ (or --dest). A recording whose check fails is not installed and
the script exits 1. Needs root, ``ip netns``, tshark; the lossy and NAT ones need nftables (the lossy one
can do with tc netem or iptables), the HTTPS one curl (or falls back to Python's ssl client).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from analyzer.demo.timewait import run_timewait
from analyzer.lab import run_lab

CAPTURES = REPO / "captures"
PAGE = ["/", "/style.css", "/app.js", "/logo.png"]


def tshark(path: Path, fields: list[str], display_filter: str = "") -> list[dict[str, str]]:
    argv = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    if display_filter:
        argv += ["-Y", display_filter]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines()]


def _set(v: str) -> bool:
    return v in ("1", "True")


def check_page(path: Path, ipv6: bool = False, connections: int = 1, lossy: bool = False) -> list[str]:
    ip = "ipv6" if ipv6 else "ip"
    fields = ["frame.number", "arp.opcode", "arp.dst.proto_ipv4", "icmpv6.type", "dns.flags.response",
              "dns.qry.name", "dns.a", "dns.aaaa", "tcp.stream", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin",
              "tcp.flags.reset", "http.request.uri", "http.response.code", f"{ip}.src",
              "ipv6.hlim" if ipv6 else "ip.ttl", "tcp.analysis.retransmission", "tcp.len",
              "tcp.analysis.spurious_retransmission"]
    rows = tshark(path, fields)
    problems = []
    if ipv6:
        if not any(r["icmpv6.type"] == "135" for r in rows):
            problems.append("no neighbour solicitation for the gateway")
        if not any(r["dns.aaaa"] == "2001:db8:2::80" for r in rows):
            problems.append("no DNS answer AAAA 2001:db8:2::80")
    else:
        if not any(r["arp.opcode"] == "1" and r["arp.dst.proto_ipv4"] == "192.0.2.1" for r in rows):
            problems.append("no ARP request for the gateway 192.0.2.1")
        if not any(r["dns.a"] == "198.51.100.80" for r in rows):
            problems.append("no DNS answer A 198.51.100.80")
    if [r["http.request.uri"] for r in rows if r["http.request.uri"]] != PAGE and not lossy:
        problems.append("the four page requests are not there in order")
    if sum(r["http.response.code"] == "200" for r in rows) < (1 if lossy else 4):   # lost originals: fewer seen
        problems.append("fewer than four 200 responses")
    streams = {r["tcp.stream"] for r in rows if r["tcp.stream"]}
    if len(streams) != connections:
        problems.append(f"{len(streams)} TCP connections, expected {connections}")
    for s in streams:
        seg = [r for r in rows if r["tcp.stream"] == s]
        if not any(_set(r["tcp.flags.syn"]) and not _set(r["tcp.flags.ack"]) for r in seg):
            problems.append(f"stream {s}: no SYN")
        if len({r[f"{ip}.src"] for r in seg if _set(r["tcp.flags.fin"])}) != 2:
            problems.append(f"stream {s}: no FIN from both sides")
    server = "2001:db8:2::80" if ipv6 else "198.51.100.80"
    ttl = "ipv6.hlim" if ipv6 else "ip.ttl"
    if not any(r[f"{ip}.src"] == server and r[ttl] == "63" for r in rows):
        problems.append("the server's packets do not arrive with TTL/hop limit 63 (one router hop)")
    if lossy and not any(r["tcp.analysis.retransmission"] and not r["tcp.analysis.spurious_retransmission"]
                         and r["tcp.len"] not in ("", "0") for r in rows):
        problems.append("no retransmitted data segment (the loss missed them: record again)")
    return problems


def check_refused(path: Path) -> list[str]:
    rows = tshark(path, ["tcp.flags.syn", "tcp.flags.reset", "tcp.dstport", "tcp.srcport"], "tcp")
    if not any(_set(r["tcp.flags.syn"]) and r["tcp.dstport"] == "81" for r in rows):
        return ["no SYN to port 81"]
    if not any(_set(r["tcp.flags.reset"]) and r["tcp.srcport"] == "81" for r in rows):
        return ["no RST from port 81"]
    return []


def check_dns_mix(path: Path) -> list[str]:
    rows = tshark(path, ["dns.qry.type", "dns.flags.response", "dns.flags.rcode", "dns.flags.truncated",
                         "dns.cname", "dns.mx.mail_exchange", "tcp.stream", "dns.qry.name"], "dns")
    problems = []
    types = {r["dns.qry.type"] for r in rows}
    for t, name in (("1", "A"), ("28", "AAAA"), ("15", "MX"), ("16", "TXT")):
        if t not in types:
            problems.append(f"no {name} query")
    if not any(r["dns.cname"] == "www.example.test" for r in rows):
        problems.append("no CNAME answer")
    if not any(r["dns.mx.mail_exchange"] == "mail.example.test" for r in rows):
        problems.append("no MX answer")
    if not any(r["dns.flags.rcode"] == "3" for r in rows):
        problems.append("no NXDOMAIN")
    if not any(_set(r["dns.flags.truncated"]) for r in rows):
        problems.append("no truncated UDP answer")
    if not any(r["tcp.stream"] and _set(r["dns.flags.response"]) for r in rows):
        problems.append("no DNS answer over TCP")
    return problems


def check_timewait(path: Path) -> list[str]:
    rows = tshark(path, ["tcp.stream", "tcp.flags.fin", "tcp.srcport", "tcp.dstport", "tcp.flags.syn"], "tcp")
    streams = {r["tcp.stream"] for r in rows}
    if len(streams) != 3:
        return [f"{len(streams)} connections, expected 3 (two rounds, and one to the restarted server)"]
    return []


def _nat_flows(path: Path) -> dict[str, list[dict[str, str]]]:
    """The client's packets in one NAT capture (inside: from 10.0.0.10; outside: from 203.0.113.2)."""
    return tshark(path, ["frame.interface_name", "ip.src", "ip.ttl", "ip.id", "udp.srcport", "dns.id",
                         "tcp.srcport", "tcp.seq_raw", "tcp.flags.syn", "tcp.flags.ack", "icmp.type", "icmp.ident",
                         "icmp.seq"], "ip.src==10.0.0.10 or ip.src==203.0.113.2")


def check_nat(inside: Path, outside: Path, random_ports: bool) -> list[str]:
    rows_in, rows_out = _nat_flows(inside), _nat_flows(outside)
    problems = []
    if {r["ip.src"] for r in rows_in} != {"10.0.0.10"} or {r["ip.src"] for r in rows_out} != {"203.0.113.2"}:
        problems.append("inside should hold only 10.0.0.10's packets, outside only 203.0.113.2's")
    if {r["frame.interface_name"] for r in rows_in} != {"lan0"} or \
            {r["frame.interface_name"] for r in rows_out} != {"wan0"}:
        problems.append("the interfaces are not named lan0 / wan0")
    if {r["ip.ttl"] for r in rows_in} != {"64"} or {r["ip.ttl"] for r in rows_out} != {"63"}:
        problems.append("the client's packets are not TTL 64 inside and 63 outside")
    if [r["ip.id"] for r in rows_in] != [r["ip.id"] for r in rows_out]:
        problems.append("not the same packets on both sides (ip.id differs)")

    def kinds(rows):
        syn = next((r for r in rows if _set(r["tcp.flags.syn"]) and not _set(r["tcp.flags.ack"])), None)
        dns = next((r for r in rows if r["dns.id"]), None)
        echo = [r for r in rows if r["icmp.type"] == "8"]
        return syn, dns, echo

    (syn_i, dns_i, echo_i), (syn_o, dns_o, echo_o) = kinds(rows_in), kinds(rows_out)
    if not (syn_i and syn_o and dns_i and dns_o and len(echo_i) == len(echo_o) == 2):
        return problems + ["a SYN, a DNS query and two echo requests on both sides expected"]
    if syn_i["tcp.seq_raw"] != syn_o["tcp.seq_raw"] or dns_i["dns.id"] != dns_o["dns.id"]:
        problems.append("the ISN or the DNS id changed through the router")
    same = (syn_i["tcp.srcport"] == syn_o["tcp.srcport"], dns_i["udp.srcport"] == dns_o["udp.srcport"],
            echo_i[0]["icmp.ident"] == echo_o[0]["icmp.ident"])
    if random_ports and any(same):
        problems.append(f"masquerade random kept a port or id (TCP, UDP, ICMP kept: {same}): record again")
    if not random_ports and not all(same):
        problems.append(f"masquerade changed a port or id (TCP, UDP, ICMP kept: {same})")
    return problems


def _arp_requests(path: Path) -> list[str]:
    return [r["arp.dst.proto_ipv4"] for r in tshark(path, ["arp.dst.proto_ipv4", "arp.src.proto_ipv4"],
                                                    "arp.opcode==1 and arp.src.proto_ipv4==192.0.2.10")]


def check_same_subnet(path: Path) -> list[str]:
    problems = []
    asked = _arp_requests(path)
    if asked != ["192.0.2.53", "192.0.2.80"]:
        problems.append(f"ARP requests for {asked}, expected the DNS server then the web server themselves")
    rows = tshark(path, ["ip.src", "ip.ttl", "http.request.uri"], "ip")
    if {r["ip.ttl"] for r in rows if r["ip.src"] == "192.0.2.80"} != {"64"}:
        problems.append("the web server's packets do not arrive with TTL 64 (no router)")
    if [r["http.request.uri"] for r in rows if r["http.request.uri"]] != PAGE:
        problems.append("the four page requests are not there in order")
    return problems


def _unicast_between_others(path: Path) -> list[dict[str, str]]:
    """Frames the observer captured that were neither from it, to it, nor broadcast/multicast."""
    rows = tshark(path, ["eth.dst", "eth.dst.ig", "ip.src", "ip.dst", "ip.id", "arp.src.proto_ipv4"])
    return [r for r in rows if r["eth.dst.ig"] in ("0", "False") and "192.0.2.99" not in (r["ip.src"], r["ip.dst"])]


def check_hub(observer: Path, client: Path) -> list[str]:
    seen = {(r["ip.src"], r["ip.id"]) for r in _unicast_between_others(observer) if r["ip.id"]}
    sent = {(r["ip.src"], r["ip.id"]) for r in tshark(client, ["ip.src", "ip.id"], "ip")}
    if not sent or sent - seen:
        return [f"the observer missed {len(sent - seen)} of the client's {len(sent)} IP packets"]
    return []


def check_switch(observer: Path, client: Path) -> list[str]:
    problems = []
    if _unicast_between_others(observer):
        problems.append("the observer captured unicast frames between other hosts")
    if not tshark(observer, ["frame.number"], "arp.opcode==1 and eth.dst==ff:ff:ff:ff:ff:ff"):
        problems.append("the observer did not see the broadcast ARP requests")
    if not tshark(client, ["frame.number"], "http.request"):
        problems.append("the client's capture has no request")
    return problems


def decrypted_rows(path: Path, keys: Path, fields: list[str], display_filter: str = "") -> list[list[str]]:
    """tshark's ``-T fields`` rows of ``fields`` (tab-separated), decrypted with the key log ``keys``; only the frames
    ``display_filter`` matches when one is given."""
    argv = ["tshark", "-r", str(path), "-o", f"tls.keylog_file:{keys}"]
    if display_filter:
        argv += ["-Y", display_filter]
    argv += ["-T", "fields", "-E", "separator=/t"]
    for name in fields:
        argv += ["-e", name]
    return [line.split("\t") for line in subprocess.run(argv, capture_output=True, text=True, check=True)
            .stdout.splitlines()]


def check_https(path: Path, keys: Path) -> list[str]:
    rows = decrypted_rows(path, keys, ["http.request.uri", "tcp.dstport", "tls.handshake.extensions_server_name"])
    problems = []
    if [r[0] for r in rows if r[0]] != PAGE or {r[1] for r in rows if r[0]} != {"443"}:
        problems.append("the four page requests over port 443 are not there once decrypted")
    if not any(r[2] == "www.example.test" for r in rows):
        problems.append("no ClientHello with SNI www.example.test")
    return problems


def request_resends(path: Path, keys: Path) -> list[tuple[int, int]]:
    """(resend, response) frame pairs: a client segment tshark calls a retransmission, carrying a request's
    bytes, and the next server segment holding an HTTP response, within 5 ms of it."""
    rows = decrypted_rows(path, keys, ["frame.number", "frame.time_epoch", "ip.src", "tcp.len",
                                       "tcp.analysis.retransmission", "http.response.code"])
    pairs = []
    for i, r in enumerate(rows):
        if r[2] == "192.0.2.10" and r[3] not in ("", "0") and r[4]:
            nxt = next((x for x in rows[i + 1:] if x[2] != "192.0.2.10" and x[3] not in ("", "0")), None)
            if nxt is not None and nxt[5] and float(nxt[1]) - float(r[1]) < 0.005:
                pairs.append((int(r[0]), int(nxt[0])))
    return pairs


def _https_holding(path: Path, found: list, missing: str) -> list[str]:
    """:func:`check_https` of ``path``, and ``missing`` when ``found`` (the case the recording is kept for) is empty."""
    return check_https(path, path.with_suffix(".keys")) + ([] if found else [missing])


def check_request_lost(path: Path) -> list[str]:
    return _https_holding(path, request_resends(path, path.with_suffix(".keys")),
                          "no request resent and answered at once (the loss missed a request: record again)")


def _client_rows(path: Path, keys: Path) -> list[list[str]]:
    """frame, source, FIN flag, TCP payload length, retransmission flag, relative seq, TSval, TSecr, response code,
    relative ack of every TCP segment (decrypted with ``keys``)."""
    return decrypted_rows(path, keys, ["frame.number", "ip.src", "tcp.flags.fin", "tcp.len",
                                       "tcp.analysis.retransmission", "tcp.seq", "tcp.options.timestamp.tsval",
                                       "tcp.options.timestamp.tsecr", "http.response.code", "tcp.ack"], "tcp")


def answer_echoes(path: Path, keys: Path) -> list[tuple[int, int, int]]:
    """(first copy, resend, response) frames of a request resent and answered at once (:func:`request_resends`)
    whose answer's TSecr is the TSval of the request's FIRST copy: the server had it, its answer was lost."""
    rows = {int(r[0]): r for r in _client_rows(path, keys)}
    out = []
    for resend, answer in request_resends(path, keys):
        r = rows[resend]
        first = next((f for f, x in sorted(rows.items()) if f < resend and x[1] == r[1] and x[5] == r[5]
                      and not x[4]), None)
        if first is not None and rows[answer][7] and rows[answer][7] == rows[first][6] != r[6]:
            out.append((first, resend, answer))
    return out


def check_answer_lost(path: Path) -> list[str]:
    return _https_holding(path, answer_echoes(path, path.with_suffix(".keys")),
                          "no request resent whose answer echoes the first copy's TSval (record again)")


def check_close_lost(path: Path) -> list[str]:
    """The client's FIN sent again, bytes it had sent before the FIN (its TLS close_notify) sent again after it,
    and the server's ACK of the FIN in the file: the release waited for them."""
    problems = check_https(path, path.with_suffix(".keys"))
    rows = _client_rows(path, path.with_suffix(".keys"))
    fins = [int(r[0]) for r in rows if r[1] == "192.0.2.10" and r[2] in ("1", "True")]
    if len(fins) < 2 or not any(r[4] for r in rows if int(r[0]) in fins[1:]):
        problems.append("the client's FIN was not sent again (record again)")
    elif not any(r[1] == "192.0.2.10" and r[3] not in ("", "0") and r[4] and int(r[0]) > fins[0] for r in rows):
        problems.append("no byte before the client's FIN sent again after it (record again)")
    else:
        fin_seq = next(int(r[5]) for r in rows if int(r[0]) == fins[0])
        if not any(r[1] != "192.0.2.10" and r[9] and int(r[9]) == fin_seq + 1 for r in rows):
            problems.append("the server's ACK of the client's FIN is not in the file (record again)")
    return problems


def tail_losses(path: Path) -> list[tuple[int, int, int]]:
    """(previous, client ACK, segment) frames of each server data segment tshark flags nothing on that came at
    least 200 ms (Linux's minimum retransmission timeout) after the server's previous data segment, right after
    it in sequence, with no client data in between and a client ACK of everything before it at least 160 ms before it: the copy a timer sent
    again after a tail loss before the capture point."""
    rows = decrypted_rows(path, path.with_suffix(".keys"), ["frame.number", "frame.time_epoch", "ip.src", "tcp.seq",
                                                            "tcp.len", "tcp.ack", "tcp.analysis.flags"], "tcp")
    out = []
    data = [r for r in rows if r[2] != "192.0.2.10" and r[4] not in ("", "0")]
    for a, b in itertools.pairwise(data):
        if b[6] or int(b[3]) != int(a[3]) + int(a[4]) or not 0.2 <= float(b[1]) - float(a[1]) <= 0.25:
            continue
        if any(r[2] == "192.0.2.10" and r[4] not in ("", "0") and float(a[1]) < float(r[1]) < float(b[1])
               for r in rows):
            continue        # (the client spoke in between: b answers it)
        ack = next((r for r in rows if r[2] == "192.0.2.10" and float(a[1]) <= float(r[1]) < float(b[1])
                    and int(r[5]) >= int(b[3])), None)
        if ack is not None and float(b[1]) - float(ack[1]) >= 0.16:
            out.append((int(a[0]), int(ack[0]), int(b[0])))
    return out


def check_tail_lost(path: Path) -> list[str]:
    """A tail loss of the server (:func:`tail_losses`) and a request resent more than once whose answer echoes a
    copy before the last one (the server had the request, its answer was lost too)."""
    problems = check_page(path, lossy=True)
    if not tail_losses(path):
        problems.append("no server segment sent again after a tail loss (record again)")
    rows = {int(r[0]): r for r in _client_rows(path, path.with_suffix(".keys"))}
    copies = [f for f, r in sorted(rows.items()) if r[1] == "192.0.2.10" and r[3] not in ("", "0") and r[4]]
    answers = [r for r in rows.values() if r[8]]
    if not any(rows[c][6] == a[7] for a in answers for c in copies[:-1]):
        problems.append("no answer echoing a request copy before the last one (record again)")
    return problems


def holes_filled_after(path: Path) -> list[int]:
    """Server segments tshark calls a retransmission that fill a hole below bytes the server had already sent
    (a segment of higher seq came before them): the TLS records after the hole are handed on with them."""
    rows = decrypted_rows(path, path.with_suffix(".keys"), ["frame.number", "ip.src", "tcp.seq", "tcp.len",
                                                            "tcp.analysis.retransmission"], "tcp.len > 0")
    out, high = [], 0
    for r in rows:
        if r[1] == "192.0.2.10":
            continue
        end = int(r[2]) + int(r[3])
        if r[4] and end < high:
            out.append(int(r[0]))
        high = max(high, end)
    return out


def check_hole_filled(path: Path) -> list[str]:
    return _https_holding(path, holes_filled_after(path),
                          "no server retransmission filling a hole below later bytes (record again)")


def answers_lost_quietly(path: Path) -> list[tuple[int, int]]:
    """(request copy, answer) frames: an answer whose TSecr is the TSval of a resent copy of the request, more than
    200 ms after that copy, with no server segment in between (not even an ACK): the server had the request and its
    first answer was lost."""
    rows = _client_rows(path, path.with_suffix(".keys"))
    times = {int(r[0]): float(r[1]) for r in decrypted_rows(path, path.with_suffix(".keys"),
                                                           ["frame.number", "frame.time_epoch"], "tcp")}
    out = []
    for r in rows:
        if r[1] == "192.0.2.10" or not r[8] or not r[7]:
            continue
        copy = next((x for x in rows if x[1] == "192.0.2.10" and x[4] and x[6] == r[7]), None)
        if copy is None or times[int(r[0])] - times[int(copy[0])] <= 0.2:
            continue
        if not any(x[1] != "192.0.2.10" and int(copy[0]) < int(x[0]) < int(r[0]) for x in rows):
            out.append((int(copy[0]), int(r[0])))
    return out


def check_answer_lost_quiet(path: Path) -> list[str]:
    return _https_holding(path, answers_lost_quietly(path),
                          "no answer lost after the resent request reached the server (record again)")


def lab(path: Path, **kw) -> None:
    res = run_lab(save=str(path), servers="project", log=lambda s: print(f"   {s}"), **kw)
    if not res.client_ok and kw.get("what") != "refused":
        raise RuntimeError(f"the client failed: {res.client_output}")


def demo_timewait(path: Path) -> None:
    res = run_timewait(save=str(path))
    for err in res.bind_errors:
        print(f"   {err}")


RECORDINGS: dict[str, tuple[str, Callable[[Path], None], Callable[[Path], list[str]]]] = {
    "lab_page_fetch": ("lab_page_fetch.pcapng", lambda p: lab(p), check_page),
    "lab_short_connections": ("lab_http10_short_connections.pcap", lambda p: lab(p, short=True),
                              lambda p: check_page(p, connections=4)),
    "lab_refused": ("lab_refused_connection_rst.pcapng", lambda p: lab(p, what="refused"), check_refused),
    "lab_lossy_fetch": ("lab_lossy_fetch_retransmissions.pcapng", lambda p: lab(p, loss=20),
                        lambda p: check_page(p, lossy=True)),
    "lab_ipv6": ("lab_ipv6_page_fetch.pcapng", lambda p: lab(p, ipv6=True), lambda p: check_page(p, ipv6=True)),
    "lab_dns_mix": ("lab_dns_mix.pcapng", lambda p: lab(p, what="dns-mix"), check_dns_mix),
    "demo_timewait": ("demo_timewait_reuseaddr_loopback.pcapng", demo_timewait, check_timewait),
    # several files: FILE-label.ext each (the lab's --save naming), checked together
    "lab_nat": ("lab_nat.pcapng", lambda p: lab(p, topology="nat"),
                lambda p: check_nat(*_parts(p, "inside", "outside"), random_ports=False)),
    "lab_nat_random": ("lab_nat_random.pcapng", lambda p: lab(p, topology="nat", nat_random=True),
                       lambda p: check_nat(*_parts(p, "inside", "outside"), random_ports=True)),
    "lab_same_subnet": ("lab_same_subnet.pcapng", lambda p: lab(p, topology="same-subnet"), check_same_subnet),
    "lab_hub": ("lab_hub.pcapng", lambda p: lab(p, topology="hub"),
                lambda p: check_hub(*_parts(p, "observer", "client"))),
    "lab_switch": ("lab_switch.pcapng", lambda p: lab(p, topology="switch"),
                   lambda p: check_switch(*_parts(p, "observer", "client"))),
    "lab_https": ("lab_https_page_fetch.pcapng", lambda p: lab(p, https=True),
                  lambda p: check_https(p, p.with_suffix(".keys"))),
    "lab_https_request_lost": ("lab_https_request_lost.pcapng", lambda p: lab(p, https=True, loss=15),
                               check_request_lost),
    "lab_https_answer_lost": ("lab_https_answer_lost.pcapng", lambda p: lab(p, https=True, loss=15),
                              check_answer_lost),
    "lab_tail_lost": ("lab_lossy_answer_and_tail_lost.pcapng", lambda p: lab(p, loss=30), check_tail_lost),
    "lab_https_hole_filled": ("lab_https_hole_filled.pcapng", lambda p: lab(p, https=True, loss=30),
                              check_hole_filled),
    "lab_https_answer_lost_quiet": ("lab_https_answer_lost_quiet.pcapng", lambda p: lab(p, https=True, loss=25),
                                    check_answer_lost_quiet),
    "lab_https_close_lost": ("lab_https_close_lost.pcapng", lambda p: lab(p, https=True, loss=15), check_close_lost),
}
WITH_KEYS = {"lab_https", "lab_https_request_lost", "lab_https_answer_lost", "lab_https_close_lost",
             "lab_https_hole_filled", "lab_https_answer_lost_quiet"}
PARTS = {"lab_nat": ("inside", "outside"), "lab_nat_random": ("inside", "outside"), "lab_hub": ("observer", "client"),
         "lab_switch": ("observer", "client")}


def _parts(path: Path, *labels: str) -> list[Path]:
    """The files a several-capture lab wrote for ``--save path``: path-label.ext."""
    return [path.with_name(f"{path.stem}-{label}{path.suffix}") for label in labels]


def _outputs(name: str, path: Path) -> list[Path]:
    """Every file a recording leaves: its captures, and the TLS key log of an HTTPS one."""
    if name in PARTS:
        return _parts(path, *PARTS[name])
    return [path] + ([path.with_suffix(".keys")] if name in WITH_KEYS else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-record the lab_* and demo_* captures (root).")
    parser.add_argument("--only", choices=sorted(RECORDINGS), action="append", help="record just this one")
    parser.add_argument("--dest", type=Path, default=CAPTURES, help="where the files go (default captures/)")
    parser.add_argument("--tries", type=int, default=5, help="attempts per recording (loss is random)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("record_captures: run as root (namespaces and capturing need it)", file=sys.stderr)
        return 2
    if not shutil.which("tshark"):
        print("record_captures: tshark is needed to check the recordings (apt-get install tshark)", file=sys.stderr)
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="record-captures-") as tmp:
        for name in args.only or list(RECORDINGS):
            filename, record, check = RECORDINGS[name]
            path = Path(tmp) / filename
            problems: list[str] = ["not recorded"]
            for attempt in range(1, args.tries + 1):
                print(f"== {name} -> {filename} (attempt {attempt})")
                try:
                    record(path)
                    problems = check(path)
                except Exception as exc:  # noqa: BLE001 - one recording's failure must not stop the others
                    problems = [f"{type(exc).__name__}: {exc}"]
                if not problems:
                    break
                print(f"   not good: {'; '.join(problems)}", file=sys.stderr)
            if problems:
                failed = True
                continue
            args.dest.mkdir(parents=True, exist_ok=True)
            for made in _outputs(name, path):
                if made.suffix != ".keys":
                    print(subprocess.run(["tshark", "-r", str(made)], capture_output=True, text=True,
                                         check=False).stdout.rstrip())
                shutil.copyfile(made, args.dest / made.name)
                print(f"   checked with tshark and written to {args.dest / made.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
