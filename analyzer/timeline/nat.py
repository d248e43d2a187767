"""The timeline across a NAT: given the captures of both sides of a translating router (inside and outside,
read as one), each step is told once, from the inside, with its outside view beside it — the address and
port the router gave the flow, the outside frame and the delay through the router for the first packet and
the first reply, the TTL it decremented — and a step explains NAT in plain words (why a private address
cannot be routed on the Internet, what the router rewrites and keeps in its table, why the reply finds its
way back). The outside copies of the inside client's fetches are not told a second time.

Sans-IO: :class:`NatView` takes the NAT table of the two captures (:func:`analyzer.nat.nat_of` with
``numbering="merged"``, so that frame numbers are those of the merged capture the timeline reads) and
rewrites fetches (:meth:`NatView.fetch`). Hooked in by ``analyzer timeline INSIDE OUTSIDE``
(:mod:`analyzer.cli.timeline`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

from analyzer.nat.model import NatResult, Translation
from analyzer.timeline.model import Fetch, Step
from analyzer.timeline.texts import duration

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "explain": (
            "NAT (network address translation): the client's address {inside_addr} is private ({range}). Many "
            "networks use the same private addresses, so routers on the Internet do not carry packets to or from "
            "them, and a reply to {inside_addr} would have no way back. The router between the two captures "
            "therefore rewrites each packet the client sends out: the source {inside} becomes its own public "
            "address with {port_choice} ({outside}), and it keeps the pair in its translation table: "
            "{inside} ↔ {outside} → {remote}. The server only ever sees {outside_addr} and answers to it; when "
            "the reply reaches the router, the table tells it whose reply it is, and the router rewrites the "
            "destination back to {inside} before passing it inside. Only addresses and ports change: sequence "
            "numbers, IP ID and DNS ID stay the same on both sides, which is how the two captures were matched "
            "({flows}; {ports}). Like every router it also decrements the TTL by {hops} ({ttl_in} inside, "
            "{ttl_out} outside), so that a packet caught in a routing loop dies out instead of circling forever."),
        "port.preserved": "the same port while it is free",
        "port.rewritten": "a port of its own choosing",
        "ports.preserved": "source ports kept",
        "ports.rewritten": "source ports rewritten: random port allocation",
        "ports.mixed": "source ports kept where free, rewritten otherwise",
        "flows": "{n} flows seen on both sides",
        "flow": "1 flow seen on both sides",
        "out": " Outside (frame {frame}, {delay} later): the router sent it on as {outside} → {remote}, TTL {a} → {b}.",
        "back": (" Outside (frame {frame}, {delay} earlier): it arrived for {outside}; the router found that entry "
                 "in its table and passed it to {inside} (TTL {a} → {b})."),
        "view": " [outside: {outside} ↔ {remote}]",
        "explain.inbound": (
            "Port forwarding (destination NAT): {remote} opens a connection to the router's public address "
            "{outside}. Nothing inside can be reached from the Internet by its own private address ({inside_addr}, "
            "{range}), so the router keeps a standing entry in its table, {outside} → {inside}: it rewrites the "
            "destination of each packet to {inside} and passes it in, and rewrites the source of each answer back "
            "to {outside}, so that {remote} only ever sees the public address. Like every router it decrements "
            "the TTL by {hops} on the way ({ttl_out} outside, {ttl_in} inside)."),
        "in.first": (" Inside (frame {frame}, {delay} later): the router rewrote the destination {outside} to "
                     "{inside} and passed it in, TTL {a} → {b}."),
        "in.back": (" Inside (frame {frame}, {delay} earlier): {inside} answered; the router rewrote the source back "
                    "to {outside} (TTL {a} → {b})."),
        "in.view": " [inside: {inside}, forwarded from {outside}]",
        "alone.inside": " Not seen outside: {reason}.",
        "alone.outside": " Not seen inside: {reason}.",
        "local": "it is for the router or the inside network itself, nothing to translate",
        "no-twin": "the outside capture covers that time and holds no copy: the router did not forward it",
        "other-silent.inside": "the outside capture holds no frames over that time, so what the router did cannot be told",
        "other-silent.outside": "the inside capture holds no frames over that time, so what the router did cannot be told",
        "router-answered": "it is for the router's public address, which answered it itself: no port is forwarded for it",
        "not-forwarded": "it is for the router's public address and no copy went inside: not forwarded (no mapping)",
        "router-own": "it comes from the router's public address with no copy inside: the router's own traffic",
        "not-ours": "neither end is the router's public address: other traffic on the outside link",
        "range.rfc1918": "RFC 1918",
        "range.shared": "RFC 6598, carrier-grade NAT",
        "range.ula": "unique local, RFC 4193",
        "range.other": "not routed on the Internet",
    },
    "zh": {
        "explain": (
            "NAT（网络地址转换）：客户端的地址 {inside_addr} 是私有地址（{range}）。许多网络都在使用同样的私有地址，"
            "所以互联网上的路由器不转发发往或来自这些地址的分组，发给 {inside_addr} 的应答也就无路可回。"
            "因此，两个抓包点之间的路由器会改写客户端发出的每个分组：把源地址 {inside} 换成它自己的公网地址和"
            "{port_choice}（{outside}），并把这一对应关系记在转换表里：{inside} ↔ {outside} → {remote}。"
            "服务器只看得到 {outside_addr}，也只回应这个地址；应答到达路由器时，路由器查转换表就知道它属于谁，"
            "把目的地址改回 {inside}，再转发到内网。改变的只有地址和端口：序号、IP ID 和 DNS ID 在两侧完全相同，"
            "两个抓包文件正是靠它们对应起来的（{flows}；{ports}）。和所有路由器一样，它还把 TTL 减 {hops}"
            "（内侧 {ttl_in}，外侧 {ttl_out}），这样陷入路由环路的分组会逐渐消亡，而不会永远兜圈子。"),
        "port.preserved": "端口（端口空闲时保持不变）",
        "port.rewritten": "一个它自己选的端口",
        "ports.preserved": "源端口保持不变",
        "ports.rewritten": "源端口被改写：随机分配端口",
        "ports.mixed": "源端口空闲时保持不变，否则被改写",
        "flows": "两侧都看到的流共 {n} 个",
        "flow": "两侧都看到的流共 1 个",
        "out": "外侧（第 {frame} 帧，晚 {delay}）：路由器把它改写为 {outside} → {remote} 后发出，TTL {a} → {b}。",
        "back": "外侧（第 {frame} 帧，早 {delay}）：应答发往 {outside}；路由器在转换表中找到这一项，把它转给 {inside}（TTL {a} → {b}）。",
        "view": "〔外侧：{outside} ↔ {remote}〕",
        "explain.inbound": (
            "端口转发（目的 NAT）：{remote} 向路由器的公网地址 {outside} 发起连接。内网主机的私有地址（{inside_addr}，"
            "{range}）在互联网上无法直接到达，所以路由器在转换表中保留一条固定的表项 {outside} → {inside}："
            "它把每个分组的目的地址改写为 {inside} 再送进内网，并把每个应答的源地址改回 {outside}，"
            "因此 {remote} 始终只看到公网地址。和所有路由器一样，它在途中把 TTL 减 {hops}（外侧 {ttl_out}，内侧 {ttl_in}）。"),
        "in.first": "内侧（第 {frame} 帧，晚 {delay}）：路由器把目的地址 {outside} 改写为 {inside} 后送进内网，TTL {a} → {b}。",
        "in.back": "内侧（第 {frame} 帧，早 {delay}）：{inside} 作答；路由器把源地址改回 {outside}（TTL {a} → {b}）。",
        "in.view": "〔内侧：{inside}，由 {outside} 转发而来〕",
        "alone.inside": "外侧没有看到它：{reason}。",
        "alone.outside": "内侧没有看到它：{reason}。",
        "local": "它发给路由器本身或内网，不需要转换",
        "no-twin": "外侧抓包覆盖了这段时间，却没有它的副本：路由器没有转发它",
        "other-silent.inside": "外侧抓包在这段时间里没有任何帧，无法判断路由器做了什么",
        "other-silent.outside": "内侧抓包在这段时间里没有任何帧，无法判断路由器做了什么",
        "router-answered": "它发往路由器的公网地址，由路由器自己作答：这个端口没有做端口转发",
        "not-forwarded": "它发往路由器的公网地址，却没有副本进入内网：没有被转发（转换表里没有对应项）",
        "router-own": "它来自路由器的公网地址，内侧没有副本：这是路由器自己的流量",
        "not-ours": "两端都不是路由器的公网地址：这是外侧链路上的其他流量",
        "range.rfc1918": "RFC 1918",
        "range.shared": "RFC 6598，运营商级 NAT",
        "range.ula": "唯一本地地址，RFC 4193",
        "range.other": "不在互联网上路由",
    },
}


def _t(key: str, lang: str) -> str:
    return _TEXTS.get(lang, _TEXTS["en"]).get(key) or _TEXTS["en"][key]


def _range(addr: str) -> str:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return "range.other"
    if ip.version == 4:
        if any(ip in ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")):
            return "range.rfc1918"
        if ip in ipaddress.ip_network("100.64.0.0/10"):
            return "range.shared"
    elif ip in ipaddress.ip_network("fc00::/7"):
        return "range.ula"
    return "range.other"


def _ep(text: str) -> tuple[str, int] | None:
    """ "10.0.0.10:48400" / "[2001:db8::1]:80" -> (address, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()):
        return None
    return host.strip("[]"), int(port)


class NatView:
    """The NAT table of the two captures, indexed for the timeline's steps (see the module's docstring)."""

    def __init__(self, nat: NatResult, lang: str = "en"):
        self.nat = nat
        self.lang = lang
        rows = [t for t in nat.translations if t.direction != "untranslated"]
        self.rows = rows
        # inside view: (proto, client addr, client port, server addr, server port) -> rows (port reuse: several)
        self.inside: dict[tuple, list[Translation]] = {}
        self.outside: dict[tuple, list[Translation]] = {}
        self.dns_inside: dict[tuple, list[Translation]] = {}
        self.dns_outside: dict[tuple, list[Translation]] = {}
        for t in rows:
            ins, out = t.inside_flow, t.outside_flow
            self.inside.setdefault((t.proto, ins.initiator.addr, ins.initiator.port, ins.responder.addr,
                                    ins.responder.port), []).append(t)
            self.outside.setdefault((t.proto, out.initiator.addr, out.initiator.port, out.responder.addr,
                                     out.responder.port), []).append(t)
            if t.proto == "udp":
                self.dns_inside.setdefault((ins.initiator.addr, ins.responder.addr), []).append(t)
                self.dns_outside.setdefault((out.initiator.addr, out.responder.addr), []).append(t)
        self.lone = {u.flow.first_frame: u for u in nat.unmatched}
        self.public = set(nat.nat_type.outside_addresses)

    # -- finding a step's flow ---------------------------------------------------------------------------------
    @staticmethod
    def _within(rows: list[Translation] | None, frame: int | None, side: str) -> Translation | None:
        if not rows:
            return None
        if frame is None:
            return rows[0] if len(rows) == 1 else None
        for t in rows:
            f = t.inside_flow if side == "inside" else t.outside_flow
            if f.first_frame <= frame <= (f.last_frame or f.first_frame):
                return t
        return None

    def _conn_key(self, fetch: Fetch, stream: Any) -> tuple | None:
        for c in fetch.connections:
            if c.stream == stream:
                return ("tcp", c.client, c.client_port, c.server, c.server_port)
        return None

    def step_flow(self, fetch: Fetch, step: Step, side: str = "inside") -> Translation | None:
        """The translated flow a step belongs to, seen from ``side`` ("inside": the step is told with its
        outside view; "outside": the step is the outside copy of one told from the inside), or None."""
        facts = step.facts
        frame = step.frame
        flows, dns = (self.inside, self.dns_inside) if side == "inside" else (self.outside, self.dns_outside)
        if step.layer == "dns" and str(facts.get("transport", "")).upper() == "UDP" and "resolver" in facts:
            rows = dns.get((facts.get("client", fetch.client), facts["resolver"]))
            qid = facts.get("id_hex")
            if rows and qid is not None:
                rows = [t for t in rows if qid in getattr(t, f"{side}_flow").dns_ids] or rows
            return self._within(rows, frame, side)
        if step.layer in ("tcp", "tls", "http"):
            if "client_port" in facts and "server" in facts:
                key = ("tcp", facts.get("client", fetch.client), facts["client_port"], facts["server"],
                       facts.get("server_port"))
            else:
                key = self._conn_key(fetch, facts.get("stream"))
            if key is not None:
                return self._within(flows.get(key), frame, side)
        return None

    def _lone(self, step: Step):
        """The flow seen on one side only whose first frame this step cites, or None."""
        for n in step.frames:
            u = self.lone.get(n)
            if u is not None:
                return u
        return None

    # -- the outside copy of a fetch ---------------------------------------------------------------------------
    def is_outside_copy(self, fetch: Fetch) -> bool:
        """A fetch made by the router's public address whose every connection and lookup is the outside view
        of a flow of the inside: told already, from the inside."""
        if fetch.client not in self.public or not (fetch.connections or fetch.lookups):
            return False
        for c in fetch.connections:
            if self._within(self.outside.get(("tcp", c.client, c.client_port, c.server, c.server_port)),
                            c.syn_frames[0] if c.syn_frames else None, "outside") is None:
                return False
        for lk in fetch.lookups:
            if lk.transport.lower() != "udp" or self._within(self.dns_outside.get((fetch.client, lk.server)),
                                                             lk.query_frame, "outside") is None:
                return False
        return True

    # -- sentences ---------------------------------------------------------------------------------------------
    def explain_step(self, t: Translation, at: Step) -> Step:
        lang = self.lang
        nt = self.nat.nat_type
        port_choice = _t("port.preserved" if t.port_preserved else "port.rewritten", lang)
        n = len(self.rows)
        facts = {
            "inside": t.inside.text(t.proto), "outside": t.outside.text(t.proto), "remote": t.remote.text(t.proto),
            "inside_addr": t.inside.addr, "outside_addr": t.outside.addr,
            "range": _t(_range(t.inside.addr), lang), "port_choice": port_choice,
            "flows": _t("flow", lang) if n == 1 else _t("flows", lang).format(n=n),
            "ports": _t(f"ports.{nt.ports}", lang) if nt.ports else "",
            "hops": t.ttl_out if t.ttl_out is not None else "?",
            "ttl_in": t.inside_flow.ttl_fwd, "ttl_out": t.outside_flow.ttl_fwd,
            "outside_frame": t.outside_flow.first_frame, "inside_frame": t.inside_flow.first_frame,
            "nat_type": nt.as_dict(),
        }
        if t.direction == "inbound":
            facts.update(ttl_in=t.inside_flow.ttl_fwd, ttl_out=t.outside_flow.ttl_fwd)
        text = _t("explain.inbound" if t.direction == "inbound" else "explain", lang).format(**facts)
        if not facts["ports"]:
            text = text.replace("; )", ")").replace("；）", "）")
        frames = tuple(sorted((t.inside_flow.first_frame, t.outside_flow.first_frame)))
        return Step(frames=frames, time=at.time, ts_ns=at.ts_ns, layer="nat",
                    kind="nat.explain.inbound" if t.direction == "inbound" else "nat.explain", text=text, facts=facts)

    def _view(self, t: Translation, step: Step) -> tuple[str, dict[str, Any]]:
        lang = self.lang
        ins, out = t.inside_flow, t.outside_flow
        proto = t.proto
        base = {"inside": t.inside.text(proto), "outside": t.outside.text(proto), "remote": t.remote.text(proto)}
        facts: dict[str, Any] = dict(base, direction=t.direction)
        if t.direction == "inbound":           # told from outside, where it was seen first
            if out.first_frame in step.frames:
                facts.update(inside_frame=ins.first_frame, delay_ns=t.delay_out_ns, ttl_outside=out.ttl_fwd,
                             ttl_inside=ins.ttl_fwd)
                return _t("in.first", lang).format(frame=ins.first_frame, a=out.ttl_fwd, b=ins.ttl_fwd,
                                                   delay=duration((t.delay_out_ns or 0) / 1e6, lang), **base), facts
            if out.first_rev_frame is not None and out.first_rev_frame in step.frames:
                facts.update(inside_frame=ins.first_rev_frame, delay_ns=t.delay_back_ns, ttl_inside=ins.ttl_rev,
                             ttl_outside=out.ttl_rev)
                return _t("in.back", lang).format(frame=ins.first_rev_frame, a=ins.ttl_rev, b=out.ttl_rev,
                                                  delay=duration((t.delay_back_ns or 0) / 1e6, lang), **base), facts
            return _t("in.view", lang).format(**base), facts
        if ins.first_frame in step.frames:
            delay = t.delay_out_ns
            facts.update(outside_frame=out.first_frame, delay_ns=delay, ttl_inside=ins.ttl_fwd,
                         ttl_outside=out.ttl_fwd)
            return _t("out", lang).format(frame=out.first_frame, delay=duration((delay or 0) / 1e6, lang),
                                          a=ins.ttl_fwd, b=out.ttl_fwd, **base), facts
        if ins.first_rev_frame is not None and ins.first_rev_frame in step.frames:
            delay = t.delay_back_ns
            facts.update(outside_frame=out.first_rev_frame, delay_ns=delay, ttl_outside=out.ttl_rev,
                         ttl_inside=ins.ttl_rev)
            return _t("back", lang).format(frame=out.first_rev_frame, delay=duration((delay or 0) / 1e6, lang),
                                           a=out.ttl_rev, b=ins.ttl_rev, **base), facts
        return _t("view", lang).format(**base), facts

    # -- a fetch -----------------------------------------------------------------------------------------------
    def fetch(self, f: Fetch) -> Fetch | None:
        """``f`` with its steps' outside views and the NAT explanation before its first translated step, without
        the outside copies of steps told from the inside (a port-forwarded connection: both views have the
        same client); None for the outside copy of an inside fetch (see :meth:`is_outside_copy`)."""
        if self.is_outside_copy(f):
            return None
        steps: list[Step] = []
        explained = False
        changed = dropped = False
        for s in f.steps:
            t_in = self.step_flow(f, s) if s.frames else None
            t_out = self.step_flow(f, s, "outside") if s.frames and t_in is None else None
            # a flow is told from the side where it was seen first: opened from the inside (outbound), from
            # the inside; opened from outside to a forwarded port (inbound), from outside. The other view of
            # the same step is dropped: told once.
            if (t_out is not None and t_out.direction == "outbound") or (t_in is not None and t_in.direction == "inbound"):
                dropped = changed = True
                continue
            t = t_in or t_out
            if t is None:
                lone = self._lone(s)
                if lone is not None:
                    key = f"{lone.reason}.{lone.side}" if lone.reason == "other-silent" else lone.reason
                    reason = _t(key, self.lang)
                    s = replace(s, text=s.text + _t(f"alone.{lone.side}", self.lang).format(reason=reason),
                                facts=dict(s.facts, nat={"seen_on": lone.side, "reason": lone.reason}))
                    changed = True
                steps.append(s)
                continue
            if not explained:
                steps.append(self.explain_step(t, s))
                explained = True
            text, facts = self._view(t, s)
            steps.append(replace(s, text=s.text + text, facts=dict(s.facts, nat=facts)))
            changed = True
        if not changed:
            return f
        if dropped and not any(s.frames for s in steps):
            return None
        return replace(f, steps=tuple(steps))
