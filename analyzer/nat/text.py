"""The NAT table as text (what ``analyzer nat`` prints): the two inputs, one row per translated flow, the
kind of NAT in words, the delay through the router, and the flows seen on one side only. Returns strings;
the CLI prints them.
"""

from __future__ import annotations

from analyzer.nat.model import NatResult, NatType, Translation
from analyzer.nat.table import REASONS
from analyzer.report.safe import visible

_ORIENTED = {
    "private-addresses": "the inside is the side where the rewritten addresses are private",
    "timing": "the inside is the side where flows opened from it appear first",
    "order": "no evidence of which side is the inside: taken in the order given",
}


def duration(ns: int | None) -> str:
    """A short delay: ``87 µs``, ``1.25 ms``, ``2.003 s``; ``-`` for None."""
    if ns is None:
        return "-"
    a = abs(ns)
    if a < 1_000_000:
        return f"{ns / 1000:.0f} µs"
    if a < 1_000_000_000:
        return f"{ns / 1e6:.3g} ms"
    return f"{ns / 1e9:.3f} s"


def _ttl(t: Translation) -> str:
    ins, out = t.inside_flow, t.outside_flow
    before, after = (ins.ttl_fwd, out.ttl_fwd) if t.direction != "inbound" else (out.ttl_fwd, ins.ttl_fwd)
    if before is None or after is None:
        return "-"
    return f"{before}→{after}"


def nat_type_text(nt: NatType) -> list[str]:
    """The kind of NAT, sentence by sentence."""
    out = []
    addrs = nt.outside_addresses
    if len(addrs) == 1:
        out.append(f"One outside address ({addrs[0]}) for every inside host: masquerade (NAPT, many to one).")
    elif addrs:
        out.append(f"{len(addrs)} outside addresses ({', '.join(addrs)}): a pool of public addresses.")
    total = nt.preserved + nt.rewritten
    if nt.ports == "preserved":
        out.append(f"Source ports preserved on all {total} TCP/UDP flows (the router kept each port while it "
                   "was free).")
    elif nt.ports == "rewritten":
        out.append(f"Source ports rewritten on all {total} TCP/UDP flows: random port allocation "
                   "(nftables 'masquerade random', or ports already taken).")
    elif nt.ports == "mixed":
        out.append(f"Source ports preserved on {nt.preserved} of {total} TCP/UDP flows and rewritten on "
                   f"{nt.rewritten}: kept where free.")
    if nt.icmp_ids:
        out.append(f"ICMP echo identifiers {nt.icmp_ids} (the identifier is ICMP's 'port').")
    if nt.mapping == "endpoint-independent":
        out.append("Endpoint-independent mapping (RFC 4787): one inside address:port kept the same outside "
                   "address:port toward different remotes (" + "; ".join(nt.mapping_evidence) + ").")
    elif nt.mapping == "endpoint-dependent":
        out.append("Endpoint-dependent mapping (a symmetric NAT): one inside address:port got a different "
                   "outside address:port per remote (" + "; ".join(nt.mapping_evidence) + ").")
    if nt.inbound:
        out.append(f"{nt.inbound} flow(s) opened from outside to a forwarded port (DNAT).")
    if nt.hops:
        hops = ", ".join(str(h) for h in nt.hops)
        one = nt.hops == (1,)
        out.append(f"TTL (hop limit) decremented by {hops} through the router" + (": one hop." if one else "."))
    return out


def render(r: NatResult) -> str:
    lines = ["NAT between two views of the same traffic",
             f"  inside:  {visible(r.inside.name)} ({r.inside.frames} frames)",
             f"  outside: {visible(r.outside.name)} ({r.outside.frames} frames)",
             f"  ({_ORIENTED[r.oriented_by]})", ""]
    rows = r.translations
    lines.append(f"Translation table: {len(rows)} flow(s) seen on both sides")
    if rows:
        table = [("#", "proto", "inside", "", "outside", "", "remote", "matched by", "frames in/out", "delay",
                  "TTL", "what")]
        for i, t in enumerate(rows, 1):
            arrow = "↔" if t.direction != "untranslated" else "="
            what = t.dns or t.service or ""
            if t.direction == "inbound":
                what = ("forwarded port; " + what).rstrip("; ")
            table.append((str(i), t.proto, t.inside.text(t.proto), arrow, t.outside.text(t.proto),
                          "→" if t.direction != "inbound" else "←", t.remote.text(t.proto), t.key,
                          f"{t.inside_flow.first_frame}/{t.outside_flow.first_frame}", duration(t.delay_out_ns),
                          _ttl(t), visible(what)))
        widths = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
        for row in table:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    lines.append("")
    if r.translated:
        lines.append("NAT type:")
        lines += [f"  {s}" for s in nat_type_text(r.nat_type)]
    elif rows:
        lines.append("No address was rewritten: the router only routed these flows (no NAT between the two).")
    if r.delay_ns:
        d = r.delay_ns
        lines.append(f"Delay through the router (first packet of each flow): min {duration(d['min'])}, "
                     f"median {duration(d['median'])}, max {duration(d['max'])}.")
    if r.unmatched:
        lines += ["", f"Seen on one side only: {len(r.unmatched)} flow(s)"]
        for u in r.unmatched:
            f = u.flow
            what = f" {visible(u.dns)}" if u.dns else ""
            lines.append(f"  {u.side:<7} {u.proto:<5} {f.initiator.text(u.proto)} → {f.responder.text(u.proto)}"
                         f"{what} (frame {f.first_frame}): {REASONS[u.reason]}")
    return "\n".join(lines)
