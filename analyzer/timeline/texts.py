"""The explanations of the timeline's steps, in English and Chinese: tables of templates.

Each step of a fetch names a template key (``tcp.handshake.3``, ``dns.answer.cname``...) and carries its
facts (numbers, names); :func:`explain` fills the template of the language asked for. The words are those a
networking course uses (ISN, SYN-ACK, FIN_WAIT, TIME_WAIT, CNAME, time to first byte...). A template missing
in one language falls back to English; a fact missing from a step shows as "?", never an exception.

Facts that came from packets (URIs, host names, content types) are inserted as they are: escaping for the
terminal or HTML is the printers' job. Role names ("client", "server") are facts too and are translated
through :data:`ROLES`.
"""

from __future__ import annotations

import string
from typing import Any

LANGS = ("en", "zh")

ROLES = {
    "en": {"client": "client", "server": "server", "both": "both sides"},
    "zh": {"client": "客户端", "server": "服务器", "both": "双方"},
}

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        # -- ARP ---------------------------------------------------------------------------------------
        "arp.request.gateway": (
            "ARP request (broadcast): the client {client} asks \"who has {target}? tell {client}\". {target} "
            "is not the server, so it is the default gateway (the router): the server {server} is on another "
            "network and every frame to it goes to the gateway's MAC address."),
        "arp.request.server": (
            "ARP request (broadcast): the client {client} asks \"who has {target}? tell {client}\". {target} "
            "is the server itself: client and server are on the same subnet, so frames go straight to the "
            "server's MAC address, no router in between."),
        "arp.request.resolver": (
            "ARP request (broadcast): the client {client} asks \"who has {target}? tell {client}\" to reach its "
            "DNS server {target} on the same subnet."),
        "arp.reply": (
            "ARP reply (unicast): {target} is at {mac}. The client stores it in its ARP cache and can now put "
            "that MAC address in the Ethernet header ({rtt_ms:.3f} ms after the request)."),
        "arp.none.cached": (
            "No ARP captured for this fetch: the client already had the next hop's MAC address in its ARP "
            "cache (or resolved it before the capture started)."),
        "arp.none.loopback": (
            "No ARP: client and server talk over the loopback interface ({client}), packets never leave the "
            "host, so there is no MAC address to find."),
        "arp.none.ipv6": (
            "No ARP: IPv6 finds MAC addresses with Neighbor Discovery (ICMPv6) instead, and none was captured "
            "for this fetch: the neighbor cache already held the next hop."),
        # -- DNS ---------------------------------------------------------------------------------------
        "dns.query": (
            "DNS query: the client asks its resolver {resolver} for the {qtype} record of {qname} ({transport}, "
            "port 53, id {id_hex}){resent}."),
        "dns.query.search": (
            "DNS query: the client tries {qname} ({qtype}): its resolver library appended a search domain to "
            "{host} before (or after) trying the name as given{resent}."),
        "dns.answer": (
            "DNS answer after {rtt_ms:.3f} ms: {qname} has address {addresses} (TTL {ttl} s). The client can "
            "now open a TCP connection to it."),
        "dns.answer.cname": (
            "DNS answer after {rtt_ms:.3f} ms: {qname} is an alias (CNAME chain {chain}); the final name has "
            "address {addresses} (TTL {ttl} s)."),
        "dns.answer.empty": (
            "DNS answer after {rtt_ms:.3f} ms: no {qtype} record for {qname}{chain_note} (the name exists but "
            "has no record of this type, e.g. no IPv6 address)."),
        "dns.answer.nxdomain": (
            "DNS answer after {rtt_ms:.3f} ms: {qname} does not exist (NXDOMAIN, \"No such name\")."),
        "dns.answer.error": (
            "DNS answer after {rtt_ms:.3f} ms: the resolver failed for {qname}: {rcode_name} (rcode {rcode})."),
        "dns.no_answer": "No answer to the DNS query for {qname} was captured.",
        "dns.none.cached": (
            "No DNS lookup for {host} was captured before connecting: the client already knew the address "
            "{server} (DNS cache, hosts file, or a lookup before the capture started)."),
        "dns.none.literal": "The URL names an IP address ({host}): no DNS lookup is needed.",
        # -- TCP handshake -----------------------------------------------------------------------------
        "tcp.handshake.1": (
            "Step 1/3 of the three-way handshake: the client sends SYN from port {client_port} to "
            "{server}:{server_port}. It picks its initial sequence number ISN = {seq_raw} (relative seq 0) "
            "and announces {options}."),
        "tcp.handshake.2": (
            "Step 2/3: the server answers SYN-ACK. It picks its own ISN = {seq_raw} (relative seq 0) and "
            "acknowledges the client's SYN: ack = client ISN + 1 = {ack_raw} (relative 1). It announces "
            "{options}."),
        "tcp.handshake.3": (
            "Step 3/3: the client acknowledges the server's SYN (ack = server ISN + 1 = {ack_raw}, relative 1; "
            "seq = {seq_raw}, relative 1); the connection is established. Initial round-trip time "
            "(SYN -> ACK): {irtt_ms:.3f} ms."),
        "tcp.handshake.3.data": (
            "Step 3/3: the client's first data segment also acknowledges the server's SYN (ack = server "
            "ISN + 1 = {ack_raw}, relative 1); the connection is established."),
        "tcp.handshake.missing": (
            "Connection {stream} (port {client_port} -> {server}:{server_port}) was already open when the "
            "capture started: its handshake is not in the capture."),
        "tcp.syn.refused": (
            "The server refused the connection: it answered the SYN with RST (no process listens on port "
            "{server_port})."),
        "tcp.reuse": (
            "The request goes over connection {stream}, opened earlier and kept alive (persistent "
            "connection): no new handshake is needed."),
        # -- HTTP --------------------------------------------------------------------------------------
        "http.request": (
            "HTTP request: {method} {uri} ({version}, Host: {host}) on connection {stream}; {size} bytes. "
            "This is the page itself."),
        "http.request.resource": (
            "The page needs another resource: {method} {uri} ({version}, Host: {host}) on connection "
            "{stream}; {size} bytes{referer_note}."),
        "http.response": (
            "HTTP response: {status} {reason}, {content_type}, {size} bytes of body{encoding_note}. Time to "
            "first byte: {ttfb_ms:.3f} ms after the request was sent; transfer took {transfer_ms:.3f} ms."),
        "http.response.not_modified": (
            "HTTP response: 304 Not Modified: the copy in the browser's cache is still valid, so no body is "
            "sent. Time to first byte: {ttfb_ms:.3f} ms after the request was sent."),
        "http.response.redirect": (
            "HTTP response: {status} {reason}: a redirect to {location}. Time to first byte: {ttfb_ms:.3f} ms "
            "after the request was sent."),
        "http.no_response": "No response to {method} {uri} was captured ({why}).",
        # -- TCP teardown ------------------------------------------------------------------------------
        "tcp.teardown4.1": (
            "Step 1/4 of the connection release: the {closer} has nothing more to send and sends FIN "
            "(seq = {seq}); it enters FIN_WAIT_1."),
        "tcp.teardown4.2": (
            "Step 2/4: the {other} acknowledges the FIN (ack = {ack}, FIN sequence number + 1) and enters "
            "CLOSE_WAIT; the {closer} waits in FIN_WAIT_2 (it can still receive data)."),
        "tcp.teardown4.3": (
            "Step 3/4: the {other} closes its side too: FIN (seq = {seq}); it enters LAST_ACK."),
        "tcp.teardown4.4": (
            "Step 4/4: the {closer} acknowledges the {other}'s FIN (ack = {ack}); the {other} is CLOSED and "
            "the {closer} enters TIME_WAIT."),
        "tcp.teardown3.1": (
            "Step 1/3 of the connection release: the {closer} has nothing more to send and sends FIN "
            "(seq = {seq}); it enters FIN_WAIT_1."),
        "tcp.teardown3.2": (
            "Step 2/3: the {other} acknowledges the FIN (ack = {ack}) and sends its own FIN in the same "
            "segment (FIN+ACK, seq = {seq}): the four-segment release shrinks to three."),
        "tcp.teardown3.3": (
            "Step 3/3: the {closer} acknowledges the {other}'s FIN (ack = {ack}); the {other} is CLOSED and "
            "the {closer} enters TIME_WAIT."),
        "tcp.teardown.fin": "The {closer} sends FIN (seq = {seq}): it has nothing more to send.",
        "tcp.teardown.fin2": "The {other} sends its FIN too (seq = {seq}).",
        "tcp.teardown.ack": "The {sender} acknowledges the {peer}'s FIN (ack = {ack}).",
        "tcp.teardown.simultaneous": (
            "Both sides sent FIN before receiving the other's (simultaneous close): both pass through CLOSING "
            "and both end in TIME_WAIT."),
        "tcp.teardown.unacked": (
            "The last FIN is not acknowledged in the capture: the connection's final state is not known."),
        "tcp.time_wait": (
            "The {side} sent the last ACK of the close and stays in TIME_WAIT for 2 x MSL (60 s on Linux): "
            "a lost final ACK can still be resent, and late segments of this connection die out before the "
            "port pair is used again."),
        "tcp.reset": (
            "RST from the {by} (in state {state}): the connection is aborted at once, without the FIN "
            "exchange; unsent or unread data is dropped and nobody stays in TIME_WAIT."),
        "tcp.open": (
            "Connection {stream} is still open at the end of the capture (no FIN or RST seen): it was kept "
            "alive for more requests."),
    },
    "zh": {
        "arp.request.gateway": (
            "ARP 请求（广播）：客户端 {client} 询问“谁是 {target}？请告诉 {client}”。{target} 不是服务器，"
            "因此它是默认网关（路由器）：服务器 {server} 在另一个网络中，发往它的每个帧都要交给网关的 MAC 地址。"),
        "arp.request.server": (
            "ARP 请求（广播）：客户端 {client} 询问“谁是 {target}？请告诉 {client}”。{target} 就是服务器："
            "客户端和服务器在同一子网，帧直接发往服务器的 MAC 地址，中间没有路由器。"),
        "arp.request.resolver": (
            "ARP 请求（广播）：客户端 {client} 询问“谁是 {target}？请告诉 {client}”，以便联系同一子网中的 "
            "DNS 服务器 {target}。"),
        "arp.reply": (
            "ARP 应答（单播）：{target} 的 MAC 地址是 {mac}。客户端把它存入 ARP 缓存，之后就能在以太网帧头中"
            "填写这个 MAC 地址（请求后 {rtt_ms:.3f} 毫秒）。"),
        "arp.none.cached": (
            "本次访问没有捕获到 ARP：客户端的 ARP 缓存中已有下一跳的 MAC 地址（或在开始抓包之前已经解析过）。"),
        "arp.none.loopback": (
            "没有 ARP：客户端和服务器通过环回接口（{client}）通信，数据包不离开本机，无需查找 MAC 地址。"),
        "arp.none.ipv6": (
            "没有 ARP：IPv6 用邻居发现（ICMPv6）代替 ARP 查找 MAC 地址，本次访问没有捕获到：邻居缓存中已有下一跳。"),
        "dns.query": (
            "DNS 查询：客户端向域名服务器 {resolver} 查询 {qname} 的 {qtype} 记录（{transport}，53 端口，"
            "标识 {id_hex}）{resent}。"),
        "dns.query.search": (
            "DNS 查询：客户端尝试 {qname}（{qtype}）：解析库在 {host} 后面加上了搜索域{resent}。"),
        "dns.answer": (
            "DNS 应答（{rtt_ms:.3f} 毫秒后）：{qname} 的地址是 {addresses}（TTL {ttl} 秒）。客户端现在可以向它"
            "建立 TCP 连接。"),
        "dns.answer.cname": (
            "DNS 应答（{rtt_ms:.3f} 毫秒后）：{qname} 是别名（CNAME 链 {chain}），最终名字的地址是 {addresses}"
            "（TTL {ttl} 秒）。"),
        "dns.answer.empty": (
            "DNS 应答（{rtt_ms:.3f} 毫秒后）：{qname} 没有 {qtype} 记录{chain_note}（名字存在，但没有这种类型的"
            "记录，例如没有 IPv6 地址）。"),
        "dns.answer.nxdomain": "DNS 应答（{rtt_ms:.3f} 毫秒后）：{qname} 不存在（NXDOMAIN，“No such name”）。",
        "dns.answer.error": (
            "DNS 应答（{rtt_ms:.3f} 毫秒后）：域名服务器解析 {qname} 失败：{rcode_name}（rcode {rcode}）。"),
        "dns.no_answer": "没有捕获到对 {qname} 的 DNS 查询的应答。",
        "dns.none.cached": (
            "连接之前没有捕获到对 {host} 的 DNS 查询：客户端已经知道地址 {server}（DNS 缓存、hosts 文件，"
            "或在开始抓包之前已经查询过）。"),
        "dns.none.literal": "URL 中直接是 IP 地址（{host}）：不需要 DNS 查询。",
        "tcp.handshake.1": (
            "三次握手第 1/3 步：客户端从端口 {client_port} 向 {server}:{server_port} 发送 SYN。它选择初始序号 "
            "ISN = {seq_raw}（相对序号 0），并通告 {options}。"),
        "tcp.handshake.2": (
            "第 2/3 步：服务器回复 SYN-ACK。它选择自己的 ISN = {seq_raw}（相对序号 0），并确认客户端的 SYN："
            "ack = 客户端 ISN + 1 = {ack_raw}（相对 1）。它通告 {options}。"),
        "tcp.handshake.3": (
            "第 3/3 步：客户端确认服务器的 SYN（ack = 服务器 ISN + 1 = {ack_raw}，相对 1；seq = {seq_raw}，"
            "相对 1），连接建立。初始往返时间（SYN -> ACK）：{irtt_ms:.3f} 毫秒。"),
        "tcp.handshake.3.data": (
            "第 3/3 步：客户端的第一个数据段同时确认了服务器的 SYN（ack = 服务器 ISN + 1 = {ack_raw}，相对 1），"
            "连接建立。"),
        "tcp.handshake.missing": (
            "连接 {stream}（端口 {client_port} -> {server}:{server_port}）在开始抓包时已经建立：抓包中没有它的"
            "三次握手。"),
        "tcp.syn.refused": "服务器拒绝连接：它用 RST 回应 SYN（端口 {server_port} 上没有进程在监听）。",
        "tcp.reuse": "该请求使用之前建立并保持的连接 {stream}（持久连接，keep-alive）：不需要新的握手。",
        "http.request": (
            "HTTP 请求：{method} {uri}（{version}，Host: {host}），在连接 {stream} 上，{size} 字节。这是页面本身。"),
        "http.request.resource": (
            "页面还需要其他资源：{method} {uri}（{version}，Host: {host}），在连接 {stream} 上，{size} 字节"
            "{referer_note}。"),
        "http.response": (
            "HTTP 响应：{status} {reason}，{content_type}，正文 {size} 字节{encoding_note}。首字节时间（TTFB）："
            "请求发出后 {ttfb_ms:.3f} 毫秒；传输用时 {transfer_ms:.3f} 毫秒。"),
        "http.response.not_modified": (
            "HTTP 响应：304 Not Modified：浏览器缓存中的副本仍然有效，因此不发送正文。首字节时间："
            "请求发出后 {ttfb_ms:.3f} 毫秒。"),
        "http.response.redirect": (
            "HTTP 响应：{status} {reason}：重定向到 {location}。首字节时间：请求发出后 {ttfb_ms:.3f} 毫秒。"),
        "http.no_response": "没有捕获到对 {method} {uri} 的响应（{why}）。",
        "tcp.teardown4.1": (
            "连接释放（四次挥手）第 1/4 步：{closer}没有数据要发送了，发送 FIN（seq = {seq}），进入 FIN_WAIT_1。"),
        "tcp.teardown4.2": (
            "第 2/4 步：{other}确认该 FIN（ack = {ack}，即 FIN 序号 + 1），进入 CLOSE_WAIT；{closer}进入 "
            "FIN_WAIT_2（仍可接收数据）。"),
        "tcp.teardown4.3": "第 3/4 步：{other}也关闭自己的方向：发送 FIN（seq = {seq}），进入 LAST_ACK。",
        "tcp.teardown4.4": (
            "第 4/4 步：{closer}确认{other}的 FIN（ack = {ack}）；{other}进入 CLOSED，{closer}进入 TIME_WAIT。"),
        "tcp.teardown3.1": (
            "连接释放第 1/3 步：{closer}没有数据要发送了，发送 FIN（seq = {seq}），进入 FIN_WAIT_1。"),
        "tcp.teardown3.2": (
            "第 2/3 步：{other}确认该 FIN（ack = {ack}），并在同一个报文段中发送自己的 FIN（FIN+ACK，"
            "seq = {seq}）：四次挥手合并成了三次。"),
        "tcp.teardown3.3": (
            "第 3/3 步：{closer}确认{other}的 FIN（ack = {ack}）；{other}进入 CLOSED，{closer}进入 TIME_WAIT。"),
        "tcp.teardown.fin": "{closer}发送 FIN（seq = {seq}）：它没有数据要发送了。",
        "tcp.teardown.fin2": "{other}也发送 FIN（seq = {seq}）。",
        "tcp.teardown.ack": "{sender}确认{peer}的 FIN（ack = {ack}）。",
        "tcp.teardown.simultaneous": (
            "双方在收到对方的 FIN 之前都发送了 FIN（同时关闭）：双方都经过 CLOSING 状态，最后都进入 TIME_WAIT。"),
        "tcp.teardown.unacked": "抓包中最后一个 FIN 没有被确认：无法知道连接的最终状态。",
        "tcp.time_wait": (
            "{side}发送了关闭过程的最后一个 ACK，在 TIME_WAIT 状态停留 2MSL（Linux 上为 60 秒）：如果最后的 ACK "
            "丢失还能重发，并让该连接迟到的报文段在端口对被重新使用之前消失。"),
        "tcp.reset": (
            "{by}发送 RST（当时处于 {state} 状态）：连接立即中止，不经过 FIN 交换；未发送或未读取的数据被丢弃，"
            "双方都不进入 TIME_WAIT。"),
        "tcp.open": "连接 {stream} 在抓包结束时仍然打开（没有 FIN 或 RST）：它被保持以便发送更多请求。",
    },
}

# Headings and labels of the reports.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "fetch": "Fetch", "client": "client", "server": "server", "steps": "Steps", "summary": "Summary",
        "waterfall": "Waterfall", "ladder": "Ladder diagram", "time": "time", "frame": "frame",
        "layer": "layer", "step": "step", "dns_time": "DNS lookup", "connect_time": "TCP connect",
        "ttfb": "time to first byte", "total": "total", "requests": "requests", "connections": "connections",
        "bytes": "bytes", "sent": "client -> server", "received": "server -> client",
        "keep-alive": "persistent connection (keep-alive): several requests per connection",
        "one connection per request": "one connection per request (short connections)",
        "single request": "a single request", "not captured": "not captured",
        "requests_per_connection": "requests per connection", "no_fetch": "No HTTP page fetch in this capture.",
        "started": "started", "legend": "d = DNS, c = connect, s = send, w = wait (TTFB), r = receive",
        "peer": "peer", "request": "request", "status": "status", "http_bytes": "HTTP bytes (headers + bodies)",
        "tcp_bytes": "TCP payload bytes", "dns_lookups": "DNS lookups", "report_title": "Page fetch timeline",
        "generated": "generated by analyzer from", "notes": "Notes", "connection": "connection",
    },
    "zh": {
        "fetch": "页面访问", "client": "客户端", "server": "服务器", "steps": "步骤", "summary": "摘要",
        "waterfall": "瀑布图", "ladder": "时序图（梯形图）", "time": "时间", "frame": "帧", "layer": "层",
        "step": "步骤", "dns_time": "DNS 查询", "connect_time": "TCP 连接", "ttfb": "首字节时间",
        "total": "总计", "requests": "请求", "connections": "连接", "bytes": "字节",
        "sent": "客户端 -> 服务器", "received": "服务器 -> 客户端",
        "keep-alive": "持久连接（keep-alive）：一个连接上有多个请求",
        "one connection per request": "每个请求一个连接（短连接）", "single request": "单个请求",
        "not captured": "未捕获", "requests_per_connection": "每个连接的请求数",
        "no_fetch": "此抓包中没有 HTTP 页面访问。", "started": "开始于",
        "legend": "d = DNS，c = 连接，s = 发送，w = 等待（TTFB），r = 接收", "peer": "对端",
        "request": "请求", "status": "状态", "http_bytes": "HTTP 字节（头部 + 正文）",
        "tcp_bytes": "TCP 载荷字节", "dns_lookups": "DNS 查询次数", "report_title": "页面访问时间线",
        "generated": "由 analyzer 生成，来源", "notes": "说明", "connection": "连接",
    },
}


class _Facts(dict):
    """Format arguments: a missing fact shows as "?"; role names are translated."""

    def __init__(self, facts: dict[str, Any], lang: str):
        super().__init__(facts)
        self.roles = ROLES.get(lang, ROLES["en"])

    def __missing__(self, key: str) -> Any:
        return _Missing()

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key) if key in self else self.__missing__(key)
        if key in ("closer", "other", "side", "by", "sender", "peer") and isinstance(value, str):
            return self.roles.get(value, value)
        return value


class _Missing:
    """Stands for a fact that is not there, whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return "?"


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "?"
        try:
            return format(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


_FORMATTER = _Formatter()


def explain(template: str, facts: dict[str, Any], lang: str = "en") -> str:
    """The explanation of a step: template ``template`` of language ``lang`` (English if missing)."""
    table = TEMPLATES.get(lang, TEMPLATES["en"])
    text = table.get(template) or TEMPLATES["en"].get(template)
    if text is None:
        return template
    return _FORMATTER.vformat(text, (), _Facts(facts, lang))


def label(key: str, lang: str = "en") -> str:
    """A heading or label of the reports in ``lang``."""
    return LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"].get(key, key)
