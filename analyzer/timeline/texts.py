"""The timeline's sentences, in English and Chinese: tables of templates, filled from each step's facts.

Each step names a template (``tcp.handshake.3``, ``dns.answer.cname``...) and carries its facts (numbers,
names, frames); :func:`explain` fills the template of the language asked for. The words are those a
networking course uses (ISN, SYN-ACK, FIN_WAIT, TIME_WAIT, CNAME, RTO, time to first byte...).

Format specs beyond Python's, so that units read naturally in each language:

* ``{x:dur}`` a duration given in ms: "145 µs", "12.3 ms", "1.006 s" / "145 微秒", "12.3 毫秒", "1.006 秒";
* ``{x:bytes}`` "1,234 bytes" / "1,234 字节"; ``{x:num}`` "1,234";
* ``{x:n:request}`` a count with its noun: "1 request", "3 requests" (English plural with an ``s``, or
  ``{x:n:entry/entries}``); in Chinese templates the measure word is written in the template ("{x} 个请求");
* ``{x:role}`` "client", "server" / "客户端", "服务器"; ``{x:opts}`` a SYN's options list;
* ``{x:frames}`` a list of frame numbers: "5, 7 and 9" / "5、7 和 9"; ``{x:durs}`` a list of durations alike.

A template missing in a language falls back to English; a fact missing or None shows as "?", never an
exception. Facts that came from packets (URIs, host names, content types) are inserted as they are:
escaping for the terminal or HTML is the printers' job.
"""

from __future__ import annotations

import re
import string
from typing import Any

LANGS = ("en", "zh")

ROLES = {
    "en": {"client": "client", "server": "server", "both": "both sides"},
    "zh": {"client": "客户端", "server": "服务器", "both": "双方"},
}

_EN: dict[str, str] = {
    # -- ARP (IPv4) -----------------------------------------------------------------------------------
    "arp.request.gateway": (
        "ARP request (broadcast): the client {client} asks \"who has {target}? tell {client}\". {target} is "
        "not the server, so it is the default gateway (the router): the server {server} is on another network "
        "and every frame to it goes to the gateway's MAC address."),
    "arp.request.server": (
        "ARP request (broadcast): the client {client} asks \"who has {target}? tell {client}\". {target} is "
        "the server itself: client and server are on the same subnet, so frames go straight to the server's "
        "MAC address, with no router in between."),
    "arp.request.resolver": (
        "ARP request (broadcast): the client {client} asks \"who has {target}? tell {client}\" to reach its DNS "
        "server {target} on the same subnet."),
    "arp.request.neighbour": "ARP request (broadcast): {client} asks \"who has {target}? tell {client}\".",
    "arp.reply": (
        "ARP reply (unicast): {target} is at {mac}, {rtt_ms:dur} after the request. The client keeps it in its "
        "ARP cache and can now put that MAC address in the Ethernet header."),
    "arp.unanswered": (
        "No ARP reply for {target} in the capture: nobody on this link claims that address (the host is off "
        "or the address is wrong), so the client cannot send it any frame."),
    "arp.unseen": (
        "The reply to this request is not in the capture, which does not prove nobody answered: an ARP reply "
        "goes to the asker alone, so a capture taken off the asker's path (another port of a switch) never "
        "sees it. The asker did not ask again in the {waited_ms:dur} the capture went on (an unanswered asker "
        "repeats its request about once a second), so it most likely got its answer."),
    "arp.unseen.end": (
        "The reply to this request is not in the capture, which does not prove nobody answered: an ARP reply "
        "goes to the asker alone, so a capture taken off the asker's path (another port of a switch) never "
        "sees it. The capture ends {waited_ms:dur} after the request, too soon to see whether the asker would "
        "ask again (about once a second when unanswered)."),
    "arp.unseen.last": (
        "The reply to this request is not in the capture, which does not prove nobody answered: an ARP reply "
        "goes to the asker alone, so a capture taken off the asker's path (another port of a switch) never "
        "sees it. The capture ends at this request's time (no frame of the file is later): too soon to see whether "
        "the asker would ask again "
        "(about once a second when unanswered)."),
    "nd.unseen": (
        "The Neighbor Advertisement answering this is not in the capture, which does not prove nobody "
        "answered: it goes to the asker alone, so a capture taken off the asker's path never sees it. The "
        "asker did not ask again in the {waited_ms:dur} the capture went on, so it most likely got its answer."),
    "nd.unseen.end": (
        "The Neighbor Advertisement answering this is not in the capture, which does not prove nobody "
        "answered: it goes to the asker alone, so a capture taken off the asker's path never sees it. The "
        "capture ends {waited_ms:dur} after the request, too soon to see whether the asker would ask again."),
    "arp.announcement": (
        "Gratuitous ARP: {client} announces that it is at {mac} (it asks for its own address, so that "
        "neighbours update their caches and a duplicate address would answer)."),
    "arp.announcement.reply": (
        "Gratuitous ARP reply: {client} announces, unasked, that it is at {mac} (an ARP reply about its own "
        "address that no request asked for): hosts that have {client} in their ARP cache update it. Hosts send this when "
        "an interface comes up or its address or MAC changes."),
    "arp.none.loopback": (
        "No ARP: client and server talk over the loopback interface ({client}); packets never leave the host, "
        "so there is no MAC address to find."),
    "arp.none.earlier": (
        "No ARP request in this fetch: the client already resolved the next hop {target} (MAC {mac}) at frame "
        "{frame} (fetch {fetch}) and still has it in its ARP cache."),
    "arp.request.gateway_dns": (
        "ARP request (broadcast): the client {client} asks \"who has {target}? tell {client}\". {target} is "
        "not its DNS server {resolver}, so it is the default gateway (the router) on the way to it."),
    "arp.none.unknown": (
        "{opener}; this fetch shows no frame the client "
        "sent, so which next hop it used is not known."),
    "arp.none.unknown.link": (
        "{opener}; this capture's link layer records no destination MAC address (raw IP, or a Linux cooked "
        "capture), so which next hop the client's frames went to is not known."),
    "arp.none.nomac": (
        "{opener}; its frames carry no real MAC "
        "addresses (all zeros), so which next hop it used cannot be seen here."),
    "arp.none.cached": (
        "{opener}: it already had the next hop's MAC "
        "address ({mac}) in its ARP cache (or resolved it before the capture started)."),
    "arp.none.cached.none": (
        "{opener}, nor any ARP packet of any host: the client already had the next hop's MAC address ({mac}) in "
        "its ARP cache (or resolved it before the capture started), or the capture did not record ARP (a capture "
        "filter such as \"tcp port 80\" leaves it out)."),
    "arp.none.cached.filtered": (
        "{opener}, nor any ARP packet of any host, and the file was captured with the filter \"{filter}\": the "
        "client already had the next hop's MAC address ({mac}) in its ARP cache, or that filter kept its ARP "
        "request out of the file."),
    "arp.none.cached.filtered.display": (
        "{opener}, among the frames the display filter \"{filter}\" let through: the timeline sees only those. "
        "Read the file without -Y to see whether the client asked for the next hop's MAC address ({mac})."),
    # -- Neighbor Discovery (IPv6) --------------------------------------------------------------------
    "nd.request.gateway": (
        "Neighbor Solicitation (ICMPv6, to a solicited-node multicast address): the client {client} asks "
        "for the MAC address of {target}. IPv6 has no ARP: Neighbor Discovery does its job. {target} is not the "
        "server, so it is the router: the server {server} is on another network."),
    "nd.request.server": (
        "Neighbor Solicitation (ICMPv6): the client {client} asks for the MAC address of {target}, the server "
        "itself: client and server are on the same link. IPv6 has no ARP: Neighbor Discovery does its job."),
    "nd.request.resolver": (
        "Neighbor Solicitation (ICMPv6): the client {client} asks for the MAC address of its DNS server "
        "{target} on the same link. IPv6 has no ARP: Neighbor Discovery does its job."),
    "nd.request.neighbour": (
        "Neighbor Solicitation (ICMPv6): {client} asks for the MAC address of {target}."),
    "nd.reply": (
        "Neighbor Advertisement: {target} is at {mac}, {rtt_ms:dur} after the solicitation. The client keeps "
        "it in its neighbour cache."),
    "nd.request.unicast": (
        "Neighbor Solicitation (ICMPv6), sent unicast to {target} itself, not to its solicited-node multicast "
        "address: {client} already has its MAC address and checks that it is still reachable (neighbour "
        "unreachability detection, RFC 4861 7.3)."),
    "nd.reply.nomac": (
        "Neighbor Advertisement from {target}, {rtt_ms:dur} after the solicitation: it is still reachable. It "
        "carries no link-layer address option (an answer to a unicast solicitation needs none, RFC 4861 7.2.4); "
        "its frame came from {link_mac}."),
    "nd.unanswered": (
        "No Neighbor Advertisement for {target} in the capture: nobody on this link answers for that address."),
    "nd.none.loopback": (
        "No Neighbor Discovery: client and server talk over the loopback interface ({client}); packets never "
        "leave the host."),
    "nd.none.earlier": (
        "No Neighbor Solicitation in this fetch: the client already resolved the next hop {target} (MAC "
        "{mac}) at frame {frame} (fetch {fetch}) and still has it in its neighbour cache."),
    "nd.none.earlier.checked": (
        "No Neighbor Solicitation in this fetch: the client already had the MAC address of the next hop {target} "
        "({mac}) and last checked that it was still reachable at frame {frame} (fetch {fetch}: its unicast Neighbor "
        "Solicitation was answered); the entry is still in its neighbour cache."),
    "nd.request.gateway_dns": (
        "Neighbor Solicitation (ICMPv6): the client {client} asks for the MAC address of {target}, the router on "
        "the way to its DNS server {resolver}. IPv6 has no ARP: Neighbor Discovery does its job."),
    "nd.none.unknown": (
        "{opener}; this fetch shows no frame "
        "the client sent, so which next hop it used is not known."),
    "nd.none.unknown.link": (
        "{opener}; this capture's link layer records no destination MAC address (raw IP, or a Linux cooked "
        "capture), so which next hop the client's frames went to is not known."),
    "nd.none.nomac": (
        "{opener}; its frames carry no real "
        "MAC addresses (all zeros), so which next hop it used cannot be seen here."),
    "nd.none.cached": (
        "{opener}: its neighbour cache "
        "already held the next hop's MAC address ({mac}). (IPv6 finds MAC addresses with Neighbor Discovery, "
        "not ARP.)"),
    "nd.none.cached.none": (
        "{opener}, nor any Neighbor Discovery packet of any host: the client's neighbour cache already held the "
        "next hop's MAC address ({mac}), or the capture did not record ICMPv6 (a capture filter such as \"tcp port "
        "80\" leaves it out). (IPv6 finds MAC addresses with Neighbor Discovery, not ARP.)"),
    "nd.none.cached.filtered": (
        "{opener}, nor any Neighbor Discovery packet of any host, and the file was captured with the filter "
        "\"{filter}\": the client's neighbour cache already held the next hop's MAC address ({mac}), or that "
        "filter kept its Neighbor Solicitation out of the file."),
    "nd.none.cached.filtered.display": (
        "{opener}, among the frames the display filter \"{filter}\" let through: the timeline sees only those. "
        "Read the file without -Y to see whether the client asked for the next hop's MAC address ({mac})."),
    # -- DNS ------------------------------------------------------------------------------------------
    "dns.query": (
        "DNS query: the client asks its resolver {resolver} for the {qtype} record of {qname} ({transport} "
        "port {port} over {ip_version}, ID {id_hex})."),
    "dns.query.search": (
        "DNS query for {qname} ({qtype}): the client's resolver library appended a search domain to {host} "
        "and tries that name too ({transport} port {port}, ID {id_hex})."),
    "dns.query.again": (
        "DNS query for {qname} ({qtype}) again, with a new ID {id_hex}: the query of frame {prev_frame} got "
        "no answer, so the client asks anew."),
    "dns.query.tcp": (
        "DNS query over TCP: the client asks {resolver} for the {qtype} record of {qname} again, on the TCP "
        "connection it just opened (ID {id_hex})."),
    "dns.query.tcp.first": (
        "DNS query over TCP: the client asks {resolver} for the {qtype} record of {qname} on the TCP connection "
        "it opened (ID {id_hex}); no query for it over UDP came first, so this is no retry after a truncated "
        "answer: the client chose TCP from the start."),
    "dns.query.again.same_id": (
        "DNS query for {qname} ({qtype}) again, with the same ID {id_hex}: the query of frame {prev_frame} got "
        "no answer in {waited_ms:dur}, so the client asks anew."),
    "dns.query.next_server": (
        "The client asks its next resolver, {resolver}, the same question ({qname}, {qtype}, same ID {id_hex}): "
        "{prev_resolver} gave no answer in {waited_ms:dur} (frame {prev_frame}), the time its resolver library "
        "waits, so it moved on to the next server of its list (the nameserver lines of /etc/resolv.conf, or the "
        "DNS servers of the network settings). That wait is part of the lookup's time."),
    "dns.no_answer.asked_again": (
        "No answer from {resolver} to the query for {qname} ({qtype}): after {waited_ms:dur} the client asked "
        "again (frame {next_frame})."),
    "dns.retransmission": (
        "No answer after {waited_ms:dur}: the client sends the same query for {qname} again (attempt "
        "{attempt}, same ID {id_hex}, first sent in frame {first}). Over UDP nothing is retransmitted for the "
        "client: its resolver library times out and asks again."),
    "dns.icmp": (
        "No DNS answer: {rtt_ms:dur} after the query {sender} sent back an ICMP error, {icmp}, quoting it. "
        "Nothing at {resolver} accepted the query (no DNS server listens there, or a router could not reach "
        "it), so the client's resolver library gives up on this server at once instead of waiting."),
    "dns.no_answer.soon": (
        "No answer to the query for {qname} ({qtype}) in the capture, which ends {waited_ms:dur} after the last "
        "attempt: sooner than a resolver library gives up waiting (5 s by default in glibc), so the file cannot "
        "tell whether an answer came."),
    "dns.no_answer": (
        "No answer to the query for {qname} ({qtype}) within 5 s of the last attempt, the time a resolver library "
        "waits before it gives up (glibc's default): the resolver {resolver} is unreachable or too slow, or the "
        "answers were lost."),
    "dns.no_answer.fragmented": (
        "No whole answer to the query for {qname} ({qtype}) within 5 s of the last attempt, the time a resolver "
        "library waits before it gives up (glibc's default): of what the resolver {resolver} sent, only "
        "{count:n:IP fragment} of a datagram passed the capture point (above), too little to reassemble."),
    "dns.answer": (
        "DNS answer after {rtt_ms:dur}: {qname} has address {addresses} (TTL {ttl} s: the client may cache it "
        "that long). The client can now open a TCP connection to it."),
    "dns.answer.quic": (
        "DNS answer after {rtt_ms:dur}: {qname} has address {addresses} (TTL {ttl} s: the client may cache it "
        "that long). The client can now connect to it: here over QUIC (UDP), not TCP."),
    "dns.answer.fragments": (
        "{count:n:IP fragment} from the resolver {resolver} to the client came {rtt_ms:dur} after the query for "
        "{qname}, most likely part of the answer: a large answer (EDNS lets one over UDP run past the link's MTU) "
        "is split into IP fragments. The rest of that datagram never passed the capture point, so this file cannot "
        "put it back together; where the rest was lost on the way, the client cannot either: one lost fragment "
        "loses the whole datagram."),
    "dns.answer.open": (
        "DNS answer after {rtt_ms:dur}: {qname} has address {addresses} (TTL {ttl} s: the client may cache it "
        "that long). Connection {stream} to that address was already open (this file holds no SYN for it): "
        "the client goes on using it, no new connection is needed."),
    "dns.answer.cname": (
        "DNS answer after {rtt_ms:dur}: {qname} is an alias (CNAME chain {chain}); the final name has address "
        "{addresses} (TTL {ttl} s)."),
    "dns.answer.empty": (
        "DNS answer after {rtt_ms:dur}: no {qtype} record for {qname} (the name exists but has no record of this "
        "type: here, {qtype_hint})."),
    "dns.answer.nodata": (
        "DNS answer after {rtt_ms:dur}: no {qtype} record for {qname} (NOERROR with an empty answer section: the "
        "name exists but has no record of this type)."),
    "dns.answer.records": "DNS answer after {rtt_ms:dur}: {count:n:record} for {qname} ({qtype}): {records}.",
    "dns.answer.refused": (
        "DNS answer after {rtt_ms:dur}, too late: {late_ms:dur} later the client sent back an ICMP error, {icmp} "
        "(frame {icmp_frame}), quoting it. Its port {client_port} was closed: it had stopped waiting for this "
        "answer (a resolver library gives up after its timeout, 5 s by default in glibc) and threw it away "
        "({records}). No connection follows from this answer."),
    "dns.answer.late": (
        "Late DNS answer for {qname} ({qtype}): it came {rtt_ms:dur} after the query (frame {query_frame}), "
        "{since_ms:dur} after the last attempt, past the 5 s a resolver library waits for an answer (glibc's "
        "default; the query's step said none came within them). The client had most likely given up and threw "
        "it away ({what})."),
    "dns.answer.late.used": (
        "Late DNS answer for {qname} ({qtype}): it came {rtt_ms:dur} after the query (frame {query_frame}), "
        "{since_ms:dur} after the last attempt, past the 5 s a resolver library usually waits (glibc's default; "
        "the query's step said none came within them). The client still used it: {used_ms:dur} later it "
        "connected to {server}, an address it gave ({what}), at frame {used_frame} (its resolver waited longer)."),
    "dns.answer.late.retried": (
        "Late DNS answer for {qname} ({qtype}): it came {rtt_ms:dur} after the first query (frame "
        "{query_frame}), {since_ms:dur} after its last attempt. By then the client had asked again (frame "
        "{retry_frame}): this answer to the earlier query ({what}) was most likely thrown away."),
    "dns.answer.late.retried.answered": (
        "Late DNS answer for {qname} ({qtype}): it came {rtt_ms:dur} after the first query (frame "
        "{query_frame}), {since_ms:dur} after its last attempt. By then the client had asked again (frame "
        "{retry_frame}) and had that query's answer already (frame {retry_answer}): this answer to the earlier "
        "query ({what}) came too late to matter."),
    "dns.answer.lone.unread": (
        "DNS answer from {resolver} to {client} (ID {id_hex}, type {qtype}) whose question cannot be read: {why}. "
        "Its records: {what}. Its query is not in this file: {lone_text}{used_text}"),
    "dns.answer.lone.start": (
        "DNS answer for {qname} ({qtype}) from {resolver} to {client} (ID {id_hex}): {what}. Its query is not "
        "in this file: the capture began {before_ms:dur} before this answer, after the query was sent."),
    "dns.answer.lone.start.used": (
        "DNS answer for {qname} ({qtype}) from {resolver} to {client} (ID {id_hex}): {what}. Its query is not "
        "in this file: the capture began {before_ms:dur} before this answer, after the query was sent. The "
        "client used it: {used_ms:dur} later it connected to {server} (frame {used_frame})."),
    "dns.answer.lone.first": (
        "DNS answer for {qname} ({qtype}) from {resolver} to {client} (ID {id_hex}): {what}. Its query is not "
        "in this file: this answer is the capture's first frame, the query was sent before it began."),
    "dns.answer.lone.first.used": (
        "DNS answer for {qname} ({qtype}) from {resolver} to {client} (ID {id_hex}): {what}. Its query is not "
        "in this file: this answer is the capture's first frame, the query was sent before it began. The client "
        "used it: {used_ms:dur} later it connected to {server} (frame {used_frame})."),
    "dns.answer.lone": (
        "DNS answer for {qname} ({qtype}) from {resolver} to {client} (ID {id_hex}): {what}. Its query is not "
        "in this file: none with this ID in the {looked_ms:dur} before it (the capture did not see it: sent "
        "another way, or filtered out; or nobody asked)."),
    "dns.answer.lone.used": (
        "DNS answer for {qname} ({qtype}) from {resolver} to {client} (ID {id_hex}): {what}. Its query is not "
        "in this file: none with this ID in the {looked_ms:dur} before it (the capture did not see it: sent "
        "another way, or filtered out). The client used it: {used_ms:dur} later it connected to {server} "
        "(frame {used_frame})."),
    "dns.query.unread": (
        "DNS query from {client} to {resolver} ({transport} port {port}, ID {id_hex}) that cannot be read: "
        "{why}. No answer with its ID came within 5 s of it, the time a resolver library waits (glibc's "
        "default)."),
    "dns.query.unread.copies": (
        "DNS query from {client} to {resolver} ({transport} port {port}, ID {id_hex}) that cannot be read: "
        "{why}. The client sent it {attempts:n:time}, with the same ID from the same port (frames {sent:frames}). No answer with "
        "its ID came within 5 s of the last copy, the time a resolver library waits (glibc's default)."),
    "dns.query.unread.soon": (
        "DNS query from {client} to {resolver} ({transport} port {port}, ID {id_hex}) that cannot be read: "
        "{why}. No answer with its ID in the capture, which ends {waited_ms:dur} after it: sooner than a "
        "resolver library gives up waiting (5 s by default in glibc), so the file cannot tell whether an "
        "answer came."),
    "dns.query.unread.soon.copies": (
        "DNS query from {client} to {resolver} ({transport} port {port}, ID {id_hex}) that cannot be read: "
        "{why}. The client sent it {attempts:n:time}, with the same ID from the same port (frames {sent:frames}). No answer with "
        "its ID in the capture, which ends {waited_ms:dur} after the last copy: sooner than a resolver "
        "library gives up waiting (5 s by default in glibc), so the file cannot tell whether an answer came."),
    "dns.query.unread.answered": (
        "DNS query from {client} to {resolver} ({transport} port {port}, ID {id_hex}) that cannot be read: "
        "{why}. {resolver} answered its ID after {rtt_ms:dur} (frame {answer_frame}): {rcode}."),
    "dns.query.unread.answered.copies": (
        "DNS query from {client} to {resolver} ({transport} port {port}, ID {id_hex}) that cannot be read: "
        "{why}. The client sent it {attempts:n:time}, with the same ID from the same port (frames {sent:frames}). {resolver} "
        "answered its ID after {rtt_ms:dur} (frame {answer_frame}): {rcode}."),
    "dns.query.unread.more": (
        "{count} more DNS queries that cannot be read (frames {first} to {last}; {answered} of them "
        "answered) are not told one by one."),
    "dns.answer.stray.more": (
        "{count} more DNS answers to no open query (frames {first} to {last}; {late} of them late answers) "
        "are not told one by one."),
    "dns.answer.nxdomain": (
        "DNS answer after {rtt_ms:dur}: {qname} does not exist (NXDOMAIN, \"No such name\"). No connection can "
        "follow from this answer."),
    "dns.answer.nxdomain.search": (
        "DNS answer after {rtt_ms:dur}: {qname} does not exist (NXDOMAIN), as expected: it was only a guess "
        "made by appending a search domain; the client goes on with the name as given."),
    "dns.answer.servfail": (
        "DNS answer after {rtt_ms:dur}: the resolver could not resolve {qname} (SERVFAIL, \"Server "
        "failure\": the name's own servers did not answer it, or answered badly)."),
    "dns.answer.error": (
        "DNS answer after {rtt_ms:dur}: the resolver refused or failed the query for {qname}: {rcode_name} "
        "(rcode {rcode})."),
    "dns.answer.truncated": (
        "DNS answer after {rtt_ms:dur} with the TC (truncated) bit set: the full answer for {qname} did not fit "
        "in one UDP datagram, so the resolver sent only part of it. The client must ask again over TCP, where "
        "an answer can be up to 64 KB."),
    "dns.answer.truncated.empty": (
        "DNS answer after {rtt_ms:dur} with the TC (truncated) bit set and no record in it: the full answer for "
        "{qname} did not fit in one UDP datagram, so the resolver sent none of it, only the flag. The client "
        "must ask again over TCP, where an answer can be up to 64 KB."),
    "dns.tcp.connect": (
        "TCP connection {stream} to {server} port {port} for the DNS retry: three-way handshake (frames "
        "{frames:frames})."),
    "dns.tcp.close": "The DNS-over-TCP connection {stream} is closed, {closer:role} first (frames {frames:frames}).",
    "dns.tcp.connect.first": (
        "TCP connection {stream} to {server} port {port} to carry DNS: three-way handshake (frames "
        "{frames:frames})."),
    "dns.none.proxy": (
        "No DNS lookup of {host} by the client: it asks the HTTP proxy {proxy} to connect to {target} (CONNECT), "
        "and the proxy looks the name up itself; the client needs only the proxy's address."),
    "http.connect": (
        "The client asks the HTTP proxy {server_ep} to open a tunnel to {target} (CONNECT): the proxy is to connect "
        "there and pass the bytes both ways unchanged."),
    "http.connect.again": (
        "The client asks again on the same connection, CONNECT {target}{credentials_text}."),
    "http.connect.auth": (
        "The proxy refuses until the client proves who it is: {status}{reason:phrase}, {wait_ms:dur} after the "
        "request{challenge_text}."),
    "http.connect.refused": (
        "The proxy refuses the tunnel: {status}{reason:phrase}, {wait_ms:dur} after the request; no connection to "
        "{target} was made through it."),
    "http.connect.open": (
        "The proxy answers {status}{reason:phrase} {wait_ms:dur} after the CONNECT: it has connected to {target} (that "
        "connection runs from the proxy and is not on this path). From here on this connection carries the TLS "
        "to the site end to end: the proxy passes it on and sees only encrypted bytes."),
    "http.connect.open.other": (
        "The proxy answers {status}{reason:phrase} {wait_ms:dur} after the CONNECT: it has connected to {target} (that "
        "connection runs from the proxy and is not on this path) and from here on passes the bytes of this "
        "connection on unchanged, both ways."),
    "http.connect.none": (
        "No tunnel was opened on this connection: nothing of {url} went through it (no TLS handshake with the "
        "site, no request reached it)."),
    "dns.none.literal": "The URL names an IP address ({host}): no DNS lookup is needed.",
    "dns.none.address": (
        "No host name is known for {server} and no DNS answer in this file before frame {before} gave that "
        "address: the client connected to an address it already had."),
    "dns.none.address.window": (
        "No host name is known for {server}: none of the DNS answers still remembered before frame {before} "
        "gave that address (the analyzer keeps the names of the last 65,536 addresses answered; older ones "
        "were forgotten). The client connected to an address it already had."),
    "dns.none.earlier": (
        "No new DNS lookup for {host}: the client resolved it at frame {frame} (fetch {fetch}; {addresses}) "
        "{age_s:.1f} s ago, within the TTL of {ttl} s, so the answer is still in its cache."),
    "dns.none.earlier_expired": (
        "No new DNS lookup for {host} before connecting, although its answer at frame {frame} (fetch {fetch}) "
        "is {age_s:.1f} s old, past its TTL of {ttl} s: the client's own cache keeps names longer than the "
        "TTL says (browsers and nscd do)."),
    "dns.none.other_address": (
        "No DNS query from {client} for {host} before frame {before}, but {by} asked for it at frame {frame} "
        "({addresses}). That may be this host's other address (a dual-stack host often asks "
        "over IPv4 and connects over IPv6); the capture shows no ARP/Neighbor Discovery with one MAC address "
        "for both, so the timeline keeps them apart."),
    "dns.none.cached": (
        "No DNS query for {host} (of any type, over UDP or TCP, to any server) in this file before frame "
        "{before}: the client already knew the address {server} (DNS cache, hosts file, or a lookup before "
        "the capture started)."),
    "dns.none.first": (
        "No DNS query for {host} can be in this file: it begins with this fetch (frame {before}). The client "
        "knew the address {server} already (DNS cache, hosts file), looked the name up before the capture "
        "started, or the capture did not record DNS (a capture filter such as \"tcp port 80\" leaves it out)."),
    "dns.none.nodns": (
        "No DNS packet at all in this file before frame {before} (no query or answer for any name): either the "
        "client already knew the address {server} (DNS cache, hosts file, or a lookup before the capture "
        "started), or the capture did not record DNS (a capture filter such as \"tcp port 80\" leaves it out)."),
    "dns.none.filtered": (
        "No DNS packet at all in this file before frame {before}, and it was captured with the filter "
        "\"{filter}\": if that filter leaves DNS out, a lookup of {host} would not be here. The client either "
        "knew the address {server} already or looked the name up where this capture could not see it."),
    "dns.none.filtered.first": (
        "No DNS query for {host} can be in this file: it begins with this fetch (frame {before}), and it was "
        "captured with the filter \"{filter}\". The client knew the address {server} already, looked the name "
        "up before the capture started, or looked it up during the capture and that filter kept DNS out of the file."),
    "dns.none.filtered.display": (
        "No DNS packet at all before frame {before} among the frames the display filter \"{filter}\" let "
        "through: the timeline sees only those, so a lookup of {host} the filter left out is not looked at "
        "here. Read the file without -Y to see whether the client looked the name up."),
    "dns.none.cached.window": (
        "No DNS query for {host} (of any type, over UDP or TCP, to any server) in the {hold_s:.0f} s before "
        "frame {before} (the timeline keeps a client's lookups that long, and this client looked up names "
        "earlier than that): the client already knew the address {server} (DNS cache, hosts file, or an "
        "older lookup)."),
    "dns.none.cached.window.any": (
        "No DNS query for {host} (of any type, over UDP or TCP, to any server) in the {hold_s:.0f} s before "
        "frame {before} (the timeline keeps the names clients asked for that long, and forgot names asked "
        "earlier): the client already knew the address {server} (DNS cache, hosts file, or an older lookup)."),
    # -- TCP handshake --------------------------------------------------------------------------------
    "tcp.handshake.1": (
        "Step 1/3 of the three-way handshake: the client sends SYN from port {client_port} to "
        "{server_ep}. It picks its initial sequence number ISN = {seq_raw} (relative seq 0) and "
        "announces {options:opts}."),
    "tcp.syn.seen_twice": (
        "The SYN of frame {first} appears again {waited_ms:dur} later: no retransmission timer fires that soon "
        "(the first SYN retransmission waits about 1 s), so it is the same packet seen twice by the capture "
        "(for example on both sides of a router, or on two interfaces), not a new attempt.{evidence_text}"),
    "tcp.synack.seen_twice": (
        "The SYN-ACK of frame {first} appears again {waited_ms:dur} later: the same packet seen twice by the "
        "capture, not a retransmission (no timer fires that soon).{evidence_text}"),
    "tcp.handshake.3.twice": (
        "Step 3/3: the client acknowledges the server's SYN (ack = {ack_raw}); the connection is established. TCP "
        "connect (first SYN -> this ACK): {connect_ms:dur}; the SYN was seen twice, but sent once."),
    "tcp.seen_twice": (
        "Seen twice ({count:n:packet}: {copies_text} repeating {firsts_text}, each within "
        "{max_ms:dur} of its first copy, with nothing asking for it): no TCP timer fires that soon (Linux waits "
        "at least 200 ms, or 10 ms for a tail-loss probe) and no duplicate ACK came first, so the capture saw the "
        "same packet twice (for example on both sides of a router, or on two interfaces); these are not "
        "retransmissions.{evidence_text}"),
    "tcp.conflict": (
        "Frame {frame} brings other bytes for the same place in the {sender:role}'s stream as frame {earlier} (from "
        "relative seq {rel_seq} on): two versions of the same bytes. A TCP that resends sends the same bytes "
        "again, so one of the two did not come from the {sender:role}'s TCP.{ttl_text} A packet injected by a host on "
        "the path, racing the real answer (as in a \"quantum insert\" attack), looks like this. The {receiver:role} "
        "keeps the bytes it got first (frame {earlier}) and drops the other version: its application read the "
        "first one."),
    "tcp.seen_twice.late": (
        "Seen twice ({count:n:packet}: {copies_text} repeating {firsts_text}, up to {max_ms:dur} after its first "
        "copy): each copy carries its first's IPv4 ID, and a packet sent again gets a new one, so these are the "
        "same packets captured twice (a mirror port or a tap that passes some of them on late), not "
        "retransmissions.{evidence_text}"),
    "tcp.seen_twice.again": (
        "Seen twice again ({count:n:packet}: {copies_text} repeating {firsts_text}, within "
        "{max_ms:dur}): copies made by the capture, as above, not retransmissions."),
    "tcp.syn.retransmission": (
        "No SYN-ACK after {waited_ms:dur}: the client's retransmission timer expired and it sends the SYN again "
        "(attempt {attempt}, same ISN, {since_ms:dur} after the first SYN in frame {first}).{doubling}"),
    "tcp.syn.missing": (
        "The client's SYN is not in the capture (the capture started just after it); the server's SYN-ACK is."),
    "tcp.syn.unseen": (
        "The client's SYN is not in this file, but the server's SYN-ACK (frame {synack_frame}) answers it, so it "
        "was sent: it passed the capture point unseen (the capture dropped it, or it took another path)."),
    "tcp.refused": (
        "The server refused the connection: it answered the SYN with RST after {rtt_ms:dur}. Nothing listens on "
        "{server} port {server_port} (the operating system answers for the closed port); the client's connect() "
        "fails with \"connection refused\" at once, without retrying."),
    "tcp.icmp.unreachable": (
        "{sender} answered the SYN (frame {syn}) after {rtt_ms:dur} with an ICMP error, {icmp}, quoting it: no "
        "route to {server} (a router on the way, or the client's own stack, found nowhere to deliver it). Unlike "
        "a silently lost SYN, this is an answer. {then_text}"),
    "tcp.icmp.port": (
        "{sender} answered the SYN (frame {syn}) after {rtt_ms:dur} with an ICMP error, {icmp}, quoting it: "
        "nothing accepts TCP on {server} port {server_port}, and this host (or a firewall in front of it) says so "
        "with ICMP rather than the usual TCP RST. {then_text}"),
    "tcp.icmp.prohibited": (
        "{sender} answered the SYN (frame {syn}) after {rtt_ms:dur} with an ICMP error, {icmp}, quoting it: a "
        "firewall (packet filter) on the way to {server} rejects connections to port {server_port} and says so, "
        "instead of dropping the SYN silently. {then_text}"),
    "tcp.icmp.other": (
        "{sender} answered the SYN (frame {syn}) after {rtt_ms:dur} with an ICMP error, {icmp}, quoting it: the "
        "SYN could not be delivered to {server}. {then_text}"),
    "tcp.unanswered.gave_up": (
        "No answer to {attempts:n:SYN} ({frames:frames}) over {total_ms:dur}, and no further SYN although the "
        "capture went on for {waited_ms:dur} after the last one: the client gave up (connection timed out). "
        "Nothing came back from {server}: the host is down or unreachable, or a firewall silently drops the "
        "SYNs."),
    "tcp.unanswered.capture_end": (
        "No answer to {attempts:n:SYN} ({frames:frames}) over {total_ms:dur}; the capture ends {waited_ms:dur} "
        "after the last one, still without a SYN-ACK. {server} is down or unreachable, or a firewall silently "
        "drops the SYNs."),
    "tcp.unanswered.capture_end.one": (
        "No answer to the SYN (frame {frames:frames}) in the {waited_ms:dur} the capture went on after it: too soon "
        "to tell a lost SYN (its first retransmission would come about 1 s later) from {server} being down or "
        "unreachable, a firewall silently dropping it, or a client that gave up on this connection."),
    "tcp.handshake.2": (
        "Step 2/3: the server answers SYN-ACK, {rtt_ms:dur} after the SYN. It picks its own ISN = {seq_raw} "
        "(relative seq 0) and acknowledges the client's SYN: ack = client ISN + 1 = {ack_raw} (relative 1). It "
        "announces {options:opts}."),
    "tcp.handshake.1.brief": (
        "Connection {stream}: the client opens another connection to {server_ep}: SYN from port {client_port} "
        "(ISN {seq_raw}), as explained for connection {first_stream}."),
    "http.redirect.followed": (
        "The client follows the redirect of frame {redirect_frame} ({status} to {location}): connection {stream} "
        "goes to {server_ep}, the port of that URL, and names its host {host} ({host_where})."),
    "tcp.handshake.2.brief": "Connection {stream}: the server's SYN-ACK, {rtt_ms:dur} after the SYN (ISN {seq_raw}).",
    "tcp.handshake.3.brief": (
        "Connection {stream}: the client's ACK completes the handshake; TCP connect took {connect_ms:dur}."),
    "tcp.kept": (
        "Connection {stream} stays open (keep-alive): its next request, {next_uri} in frame {next_frame}, "
        "belongs to the next fetch."),
    "tcp.handshake.2.nosyn": (
        "Step 2/3: the server answers SYN-ACK. It picks its own ISN = {seq_raw} (relative seq 0) and "
        "acknowledges the client's SYN: ack = client ISN + 1 = {ack_raw}. It announces {options:opts}."),
    "tcp.synack.unseen": (
        "The server's SYN-ACK is not in the capture, yet the client answered it: {after_ms:dur} after its SYN (frame "
        "{syn}) it sends an ACK (frame {ack_frame}) and goes on on the connection, which it does only once a SYN-ACK "
        "came. That SYN-ACK passed the capture point unseen (dropped by the capture, or another path)."),
    "tcp.synack.unseen.one_sided": (
        "The server's SYN-ACK is not in the capture, yet the client answered it: {after_ms:dur} after its SYN (frame "
        "{syn}) it sends an ACK (frame {ack_frame}) and goes on on the connection, which it does only once a SYN-ACK "
        "came. This file holds no frame at all from {server} on this connection: the capture saw only the client's "
        "side (the server's packets came back another way, or were filtered out), so it cannot show what the "
        "server sent."),
    "tcp.synack.echo_earlier": (
        "Its timestamp echo (TSecr {tsecr}) is the TSval of the SYN in frame {syn_frame}, not that of the SYN just "
        "before it (frame {last_frame}, TSval {last_tsval}): the server had received the earlier SYN and answered "
        "it then, but that first SYN-ACK never reached the capture point. What was lost was the server's "
        "SYN-ACK, not the client's SYN."),
    "tcp.synack.retransmission": (
        "The server sends its SYN-ACK again ({waited_ms:dur} after the one in frame {first}): it did not see the "
        "client's ACK in time, or got the client's SYN twice (here the client had sent two).{answer_text}"),
    "tcp.handshake.3": (
        "Step 3/3: the client acknowledges the server's SYN (ack = server ISN + 1 = {ack_raw}, relative 1); the "
        "connection is established. TCP connect (first SYN -> this ACK): {connect_ms:dur}, which is also the "
        "initial round-trip time (iRTT, SYN -> ACK)."),
    "tcp.handshake.3.same_time": (
        "Step 3/3: the client acknowledges the server's SYN (ack = server ISN + 1 = {ack_raw}, relative 1); the "
        "connection is established. TCP connect (first SYN -> this ACK): {connect_ms:dur}: the SYN and this ACK "
        "carry the same time (the capture's clock is coarser than the round trip), so the initial round-trip "
        "time (iRTT) is not measured here; as Wireshark does, it is taken at the first later ACK stamped apart "
        "from the SYN, frame {irtt_frame}: {irtt_ms:dur}."),
    "tcp.handshake.3.same_time.none": (
        "Step 3/3: the client acknowledges the server's SYN (ack = server ISN + 1 = {ack_raw}, relative 1); the "
        "connection is established. TCP connect (first SYN -> this ACK): {connect_ms:dur}: the SYN and this ACK "
        "carry the same time (the capture's clock is coarser than the round trip), so no initial round-trip "
        "time (iRTT) is measured, here or later: no later ACK is stamped apart from the SYN."),
    "tcp.handshake.3.retried.same_time": (
        "Step 3/3: the client acknowledges the server's SYN (ack = {ack_raw}); the connection is established. "
        "TCP connect (first SYN -> this ACK): {connect_ms:dur}, all of it spent waiting to retransmit the SYN "
        "({attempts:n:attempt} in all): this ACK carries the same time as the SYN that got through (the "
        "capture's clock is coarser than the round trip), so that SYN's round trip is not seen here; as Wireshark "
        "does, the initial round-trip time (iRTT) is taken at the first later ACK stamped apart from the SYN, "
        "frame {irtt_frame}: {irtt_ms:dur}."),
    "tcp.handshake.3.retried.same_time.none": (
        "Step 3/3: the client acknowledges the server's SYN (ack = {ack_raw}); the connection is established. "
        "TCP connect (first SYN -> this ACK): {connect_ms:dur}, all of it spent waiting to retransmit the SYN "
        "({attempts:n:attempt} in all): this ACK carries the same time as the SYN that got through (the "
        "capture's clock is coarser than the round trip), so no initial round-trip time (iRTT) is measured, "
        "here or later: no later ACK is stamped apart from the SYN."),
    "tcp.handshake.3.retried": (
        "Step 3/3: the client acknowledges the server's SYN (ack = {ack_raw}); the connection is established. "
        "TCP connect (first SYN -> this ACK): {connect_ms:dur} = {waits_ms:dur} spent waiting to retransmit "
        "the SYN ({attempts:n:attempt} in all) + {irtt_ms:dur} for the round trip of the SYN that got through "
        "(the initial RTT, iRTT)."),
    "tcp.handshake.2.before": (
        "Step 2/3: the server answers SYN-ACK. It picks its own ISN = {seq_raw} (relative seq 0) and acknowledges "
        "the client's SYN: ack = client ISN + 1 = {ack_raw} (relative 1). It announces {options:opts}. Its "
        "timestamp is {before_ms:dur} earlier than that of the SYN it answers (frame {syn_frame}): the capture's "
        "times are out of order (frames merged from two capture points, or written out of order), so the "
        "handshake measures no round trip."),
    "tcp.handshake.3.reordered": (
        "Step 3/3: the client acknowledges the server's SYN (ack = server ISN + 1 = {ack_raw}, relative 1); the "
        "connection is established. TCP connect (first SYN -> this ACK): {connect_ms:dur}. Wireshark's initial "
        "round-trip time (iRTT, SYN -> ACK) is the same {irtt_ms:dur}, but it is no round trip here: the SYN-ACK "
        "is stamped before the SYN."),
    "tcp.handshake.reordered": (
        "The round trip is measured on the data instead: about {rtt_ms:dur}. The client's data (frame {c_data}) "
        "was acknowledged {c_ms:dur} later (frame {c_ack}), {s_text}. That, not the handshake's {irtt_ms:dur}, "
        "is the network's round trip."),
    "tcp.handshake.karn": (
        "That {irtt_ms:dur} is not the network's round trip. A time measured across a retransmission is ambiguous "
        "(Karn's rule: the answer may belong to either copy), and the data on this connection later took about "
        "{rtt_ms:dur} for a round trip: the client's data (frame {c_data}) was acknowledged {c_ms:dur} later "
        "(frame {c_ack}), {s_text}. So the SYN-ACK (frame {synack}) came about {late_ms:dur} later than a round "
        "trip would take: the server (or a device on the path) was slow to answer the SYN, or an earlier SYN-ACK "
        "was lost before the capture point and this one is its retransmission; this capture cannot tell which."),
    "tcp.handshake.3.data": (
        "Step 3/3: the client's first data segment also acknowledges the server's SYN (ack = server ISN + 1 = "
        "{ack_raw}, relative 1); the connection is established. TCP connect: {connect_ms:dur}."),
    "tcp.handshake.missing": (
        "Connection {stream} (port {client_port} -> {server_ep}) was already open when the capture "
        "started: this file holds no SYN for it (its first frame is {first})."),
    "tcp.reuse": (
        "The request goes over connection {stream}, opened earlier (fetch {fetch}) and kept alive "
        "(persistent connection, {requests:n:request} on it so far): no new handshake is needed."),
    "tcp.reuse.same": (
        "The request goes over connection {stream}, already open ({requests:n:request} on it before): no new "
        "handshake is needed."),
    "tcp.later": (
        "Connection {stream}, kept open after fetch {fetch}, carries no further request: what follows is its "
        "end."),
    # -- TCP trouble ----------------------------------------------------------------------------------
    "tcp.loss": (
        "A segment was lost: frame {gap_frame} from the {sender:role} carries the bytes from relative seq "
        "{gap_seq} on, but seq {lost_from}-{lost_to} ({lost_bytes:bytes}) never passed the capture point "
        "(Wireshark: \"previous segment not captured\"). {recovery}"),
    "tcp.loss.missed": (
        "Missed by the capture: frame {gap_frame} from the {sender:role} carries the bytes from relative seq "
        "{gap_seq} on, but seq {lost_from}-{lost_to} ({lost_bytes:bytes}) never passed the capture point (Wireshark: "
        "\"previous segment not captured\") nor does any later frame, yet the {receiver:role}'s ACK in frame {acked_frame} "
        "(relative ack {acked_ack}) covers them: the {receiver:role} received them, so the capture point missed the "
        "copy that got through (whether an earlier copy was lost, the capture "
        "cannot tell).{recovery}"),
    "tcp.loss.fin": (
        "A FIN was lost: frame {gap_frame} from the {sender:role} has relative seq {gap_seq}, one past its FIN "
        "(seq {lost_from}), which never passed the capture point (Wireshark: \"previous segment not captured\"). The "
        "{sender:role} sent the FIN again in frame {fill_frame}, {cost_ms:dur} after that segment."),
    "tcp.retransmission": (
        "Retransmission: the {sender:role} sends {what} (relative seq {rel_seq}){orig}. {cause}"),
    "tcp.retransmission.fast": (
        "Fast retransmission: after {dup_acks:n:duplicate ACK} the {sender:role} resends {length:bytes} (relative "
        "seq {rel_seq}) at once instead of waiting for its retransmission timer."),
    "tcp.retransmission.fast.more": (
        "Fast retransmission: after {dup_acks:n:duplicate ACK} the {sender:role} resends {length:bytes} (relative "
        "seq {rel_seq}) at once instead of waiting for its retransmission timer; then {more:n:more segment} "
        "({more_bytes:bytes}, frames {more_frames:frames}) in the same episode: {all_bytes:bytes} resent in all."),
    "tcp.retransmission.spurious": (
        "Spurious retransmission: the {sender:role} resends data the other side had already acknowledged "
        "({count:n:segment}); its timer fired too early, or an ACK was lost. It costs bandwidth, not time."
        "{after_text}"),
    "tcp.zero_window": (
        "Zero window: the {receiver:role} advertises a receive window of 0: its buffer is full (the application "
        "does not read fast enough), so the {sender:role} must stop sending.{probes_text}{resumed}"),
    "tcp.dup_ack": (
        "{count:n:duplicate ACK} from the {sender:role}: the same acknowledgment number again, which tells the "
        "other side that a later segment arrived while an earlier one is missing."),
    "tcp.out_of_order": (
        "Out of order: the {sender:role}'s segment arrives after a later one ({count:n:segment}); the network "
        "reordered them, or this is a quick retransmission of a lost one."),
    "tcp.acked_unseen": (
        "The {sender:role} acknowledges data this capture never showed: it was sent before the capture started "
        "or was missed by the capture (not lost on the network: the receiver got it)."),
    "tcp.forwarded": (
        "The client {client} is very likely not the machine that made this fetch: it is on this link (it sent the "
        "ARP request of frame {arp_frame} itself; ARP does not cross a router), yet its packets here carry TTL {ttl} "
        "(frame {frame}), one less than the {start} a sender starts with: it forwarded them, one router hop from "
        "where they began. A router that sends others' packets out under its own address is a NAT (masquerade): "
        "the machine that made the fetch is behind {client}, on another network, and its address is not in this "
        "file (a capture of the router's other side, read with this one, shows both: analyzer timeline INSIDE "
        "OUTSIDE)."),
    "tcp.acked_unseen.bytes": (
        "The {sender:role} acknowledges data no frame of this capture carries: its ACK (relative ack {ack}) covers "
        "seq {unseen_from}-{unseen_to} of the {receiver:role}'s data{more_text} ({unseen_bytes:bytes}){hole_text}. The "
        "{sender:role} received those bytes, yet the capture point saw no copy of them: it missed the one that got "
        "through (the capture dropped it, or it went by a path the capture does not see)."),
    "tcp.stall.nagle": (
        "A stall of {gap_ms:dur}: the {sender:role} had sent a small segment (frame {first}, {first_len:bytes}) "
        "and held the next one (frame {second}) until that was acknowledged: Nagle's algorithm allows only one "
        "small unacknowledged segment in flight. The {receiver:role} delayed its ACK (frame {ack_frame}) by "
        "{ack_ms:dur} (delayed ACK: it waits for data to piggy-back the ACK on). Nagle with delayed ACK is the "
        "classic 40 ms stall; TCP_NODELAY on the sender avoids it."),
    # -- TCP teardown ---------------------------------------------------------------------------------
    "tcp.loss.tail": (
        "A pause of {gap_ms:dur} before the {sender:role}'s segment in frame {frame} ({size:bytes}), although the "
        "{receiver:role} had acknowledged everything before it (frame {ack_frame}, {waited_ms:dur} earlier) and a round "
        "trip takes {rtt_ms:dur}: nothing held the {sender:role} back. The pause matches its retransmission timer "
        "(Linux waits at least {rto_ms:.0f} ms): most likely the first copy of these bytes was lost before the capture "
        "point, the last of its flight, so no later segment and no duplicate ACK could show the loss (a tail loss), "
        "and this is the copy the timer sent again. The capture cannot tell that apart from the {sender:role}'s "
        "application writing these bytes just that much later."),
    "tcp.teardown4.1": (
        "Step 1/4 of the connection release: the {closer:role} has nothing more to send and sends FIN "
        "(seq = {seq}); it enters FIN_WAIT_1."),
    "tcp.teardown.late.fin": (
        "The {closer:role}'s FIN (frame {fin_frame}) was acknowledged only {wait_ms:dur} later (frame {ack_frame})"
        "{rtt_text}: the release waited for the FIN to be sent again ({fin_where}); the ACK came {last_ms:dur} after "
        "the last copy (frame {last_frame})."),
    "tcp.teardown.late": (
        "The {closer:role}'s FIN (frame {fin_frame}) was acknowledged only {wait_ms:dur} later (frame {ack_frame}){rtt_text}: "
        "an ACK covers every byte before the one it names, so the FIN could be acknowledged only once all of them "
        "had arrived, and the {closer:role} had to send some again: {what_text}. The ACK came {last_ms:dur} after "
        "the last copy (frame {last_frame})."),
    "tcp.teardown4.2": (
        "Step 2/4: the {other:role} acknowledges the FIN (ack = {ack}, the FIN's sequence number + 1) and enters "
        "CLOSE_WAIT; the {closer:role} waits in FIN_WAIT_2 (it can still receive data)."),
    "tcp.teardown.half_data": (
        "The {other:role} still sends {nbytes:bytes} after the {closer:role}'s FIN (frames {data_frames:frames}): "
        "a FIN closes one direction only (a half-close), so the side that has not closed may go on sending, and "
        "the {closer:role}, in FIN_WAIT_2, still receives and acknowledges it."),
    "tcp.teardown4.2.fin_lost": (
        "Step 2/4: the {other:role} acknowledges the FIN (ack = {ack}, the FIN's sequence number + 1). Its own seq "
        "here is {seq}, one past its own FIN (seq = {fin_seq}): it had sent that FIN already, and it never passed "
        "the capture point (lost before it). So the {other:role} is past CLOSE_WAIT, waiting for the ACK of its "
        "FIN; the {closer:role} waits in FIN_WAIT_2 (it can still receive data) until that FIN comes again."),
    "tcp.teardown4.3": "Step 3/4: the {other:role} closes its side too: FIN (seq = {seq}); it enters LAST_ACK.",
    "tcp.teardown4.3.again": (
        "Step 3/4: the {other:role}'s FIN (seq = {seq}) passes the capture point at last: a copy of the one it sent "
        "before step 2, which was lost; the {other:role} has waited for its ACK since it sent the first one."),
    "tcp.teardown4.4": (
        "Step 4/4: the {closer:role} acknowledges the {other:role}'s FIN (ack = {ack}); the {other:role} is "
        "CLOSED and the {closer:role} enters TIME_WAIT."),
    "tcp.teardown3.1": (
        "Step 1/3 of the connection release: the {closer:role} has nothing more to send and sends FIN "
        "(seq = {seq}); it enters FIN_WAIT_1."),
    "tcp.teardown3.2": (
        "Step 2/3: the {other:role} acknowledges the FIN (ack = {ack}) and sends its own FIN in the same segment "
        "(FIN+ACK, seq = {seq}): the four-segment release shrinks to three."),
    "tcp.teardown3.3": (
        "Step 3/3: the {closer:role} acknowledges the {other:role}'s FIN (ack = {ack}); the {other:role} is "
        "CLOSED and the {closer:role} enters TIME_WAIT."),
    "tcp.teardown.fin": "The {closer:role} sends FIN (seq = {seq}): it has nothing more to send.",
    "tcp.teardown.fin2": "The {other:role} sends its FIN too (seq = {seq}).",
    "tcp.teardown.ack": "The {sender:role} acknowledges the {peer:role}'s FIN (ack = {ack}).",
    "tcp.teardown.simultaneous": (
        "Both sides sent FIN before receiving the other's (simultaneous close): both pass through CLOSING and "
        "both end in TIME_WAIT."),
    "tcp.teardown.simultaneous.time_wait": (
        "Both sides sent FIN before receiving the other's (simultaneous close): both pass through CLOSING, and "
        "each enters TIME_WAIT once its own FIN is acknowledged (from frame {tw} both are there, as seen at the "
        "capture point). Both stay there for 2 x MSL (60 s on Linux): the port pair cannot be used again before "
        "that."),
    "tcp.keepalive": (
        "The {sender:role}'s TCP sends a keep-alive probe ({probes_text}{idle_text}): a segment without new data, "
        "one byte below its next sequence number, that asks whether the {receiver:role} is still there "
        "(the idle timer of SO_KEEPALIVE). {answer_text}"),
    "tcp.window_full": (
        "The {sender:role} filled the {receiver:role}'s receive window ({frames_text}; Wireshark: window full): "
        "its unacknowledged bytes reached the window the {receiver:role} last announced, so it could send "
        "nothing more until an ACK came. {wait_text}"),
    "tcp.teardown.fin_again": (
        "The {sender:role} sends its FIN again ({gap_ms:dur} after the first, frame {first}) in the segment that "
        "acknowledges the {peer:role}'s FIN (ack = {ack}). Wireshark calls it a retransmission, but it came far "
        "sooner than any retransmission timeout (at least 200 ms on Linux): the FINs crossed while the "
        "{sender:role}'s was still unacknowledged, and its stack repeats it with the ACK: no sign of a loss."),
    "tcp.teardown.dup_ack": (
        "After the {peer:role}'s ACK (frame {after}) the {sender:role} sends its acknowledgment of the "
        "{peer:role}'s FIN again (ack = {ack}, as in frame {same}). Wireshark calls it a duplicate ACK, but "
        "nothing is missing: both FINs are acknowledged, and this is the closing {sender:role}'s answer to a "
        "segment that reached it after its own close."),
    "tcp.teardown.half": (
        "Only the {closer:role} closed its direction (a half-close){half_note}; the {other:role}'s FIN is not in "
        "the capture."),
    "tcp.teardown.unacked": (
        "The last FIN is not acknowledged in the capture: the connection's final state is not known."),
    "tcp.time_wait": (
        "The {side:role} sent the last ACK of the close and stays in TIME_WAIT for 2 x MSL (60 s on Linux): a "
        "lost final ACK can still be resent, and late segments of this connection die out before the port "
        "pair is used again."),
    "tcp.reset": (
        "RST from the {by:role} (in state {state}){after_note}: the connection is aborted at once, without the "
        "FIN exchange; unsent or unread data is dropped and nobody stays in TIME_WAIT."),
    "tcp.reset.after_fin": (
        "RST from the {by:role} after the FIN exchange had begun: it drops the rest of the close (typical of a "
        "client that closes with unread data, or a server that aborts lingering connections); nobody stays "
        "in TIME_WAIT."),
    "tcp.snaplen": (
        "The capture kept only the start of some frames (its snapshot length, snaplen): {c_bytes:bytes} of the "
        "client's and {s_bytes:bytes} of the server's TCP payload on connection {stream} are not in the file "
        "(frames {first} to {last}). Their lengths are known from the IP headers, but not what they carried"
        "{no_http_text}."),
    "tcp.reset.again": (
        "The {by:role} sends RST again (frames {frames:frames}): after the reset of frame {first_rst} "
        "there is no connection left on its side, so it answers whatever still arrives for it with RST."),
    "tcp.open": (
        "Connection {stream} is still open at the end of the capture (no FIN or RST after frame {last}): it was "
        "kept alive for more requests."),
    "tcp.open.half": (
        "The handshake of connection {stream} does not complete in this file: nothing follows the SYN-ACK (frame "
        "{last}), neither the client's ACK nor a RST. It may have passed the capture point unseen, or the "
        "capture ended first; established or not, the capture cannot tell."),
    "tcp.open.plain": (
        "Connection {stream} is still open at the end of the capture: no FIN or RST after frame {last}."),
    "tcp.open.later": (
        "Connection {stream} stays open (keep-alive) after frame {last}; its later life is reported with the "
        "fetch that uses it next, or where it ends."),
    # -- HTTP -----------------------------------------------------------------------------------------
    "http.request": (
        "HTTP request: {method} {uri} ({version}, Host: {host}) on connection {stream}, {size:bytes}. "
        "{what_text}"),
    "http.request.resource": (
        "The page needs another resource: {method} {uri} ({version}, Host: {host}) on connection {stream}, "
        "{size:bytes} ({why_text})."),
    "http.request.side": (
        "A side request: {method} {uri} on connection {stream}, {size:bytes}. It is not part of the page: "
        "{side_text}"),
    "http.request.redirected": (
        "HTTP request for the URL the redirect of frame {redirect_frame} ({redirect_status}) named: {method} {uri} "
        "({version}, Host: {host}) on connection {stream}, {size:bytes}: the same fetch, at the new address."),
    "http.response": (
        "HTTP response: {status}{reason:phrase}, {content_type_text}, {size:bytes} of body{encoding_note}. Time to "
        "first byte: {ttfb_ms:dur} after the request was sent; {transfer_text}."),
    "http.response.interim.continue": (
        "Interim response: {status}{reason:phrase}, {wait_ms:dur} after the request head. The client sent only its "
        "head, with Expect: 100-continue, and held back the body ({body:bytes}) until the server agreed; it "
        "sent the body {body_ms:dur} after this answer (frame {body_frame}). The final answer follows (a server that "
        "never sends 100 costs such a client a wait: curl sends the body anyway after 1 s)."),
    "http.request.expect_wait": (
        "The client waited {waited_ms:dur} before sending the body (frame {body_frame}, {body:bytes} in all): it "
        "had sent its head alone (frame {head_frame}) with Expect: 100-continue, asking the server to answer "
        "100 Continue first. No such answer came, so the client sent the body when its own timer ran out (curl "
        "waits 1 s). A server that ignores the expectation costs every such upload this wait; the client can "
        "drop the header (curl -H 'Expect:')."),
    "http.response.interim.hints": (
        "Interim response: {status}{reason:phrase}, {wait_ms:dur} after the request head, with {links:n:Link header}: "
        "the server names resources the page will need, so the client can start fetching them before the "
        "final answer."),
    "http.response.interim": (
        "Interim response: {status}{reason:phrase}, {wait_ms:dur} after the request head: information only; the "
        "final answer follows."),
    "http.response.not_modified": (
        "HTTP response: 304 Not Modified: the copy in the client's cache is still valid, so no body is sent. "
        "Time to first byte: {ttfb_ms:dur} after the request was sent."),
    "http.response.redirect": (
        "HTTP response: {status}{reason:phrase}: a redirect to {location}. Time to first byte: {ttfb_ms:dur} after "
        "the request was sent."),
    "http.response.error": (
        "HTTP response: {status}{reason:phrase} (an error), {size:bytes} of body{encoding_note}. Time to first byte: "
        "{ttfb_ms:dur} after the request was sent."),
    "quic.initial": (
        "The client opens a QUIC connection to {server_ep} over UDP (from port {client_port}): its Initial packet "
        "(QUIC version {version}, {size:bytes}: a client pads it to at least 1,200) carries the TLS 1.3 "
        "ClientHello. QUIC is the transport of HTTP/3: it does the work of TCP's handshake and TLS's in one round "
        "trip, and encrypts nearly everything: without the session's keys (a key log with its secrets, --keylog) "
        "only its packets' clear headers can be read."),
    "quic.initial.hello": (
        "The client opens a QUIC connection to {server_ep} over UDP (from port {client_port}): its Initial packet "
        "(QUIC version {version}, {size:bytes}: a client pads it to at least 1,200) begins the TLS 1.3 handshake "
        "with a ClientHello that names the site, SNI = {sni}, and offers the application protocols (ALPN) {alpn}. "
        "Initial packets are encrypted with keys anyone can derive from the packet itself, so an observer reads "
        "this as in TCP's ClientHello. QUIC is the transport of HTTP/3: it does the work of TCP's handshake and "
        "TLS's in one round trip and encrypts all the rest: without the session's keys (a key log with its "
        "secrets, --keylog) only its packets' clear headers and this ClientHello can be read."),
    "quic.initial.keys": (
        "The client opens a QUIC connection to {server_ep} over UDP (from port {client_port}): its Initial packet "
        "(QUIC version {version}, {size:bytes}: a client pads it to at least 1,200) carries the TLS 1.3 "
        "ClientHello. QUIC is the transport of HTTP/3: it does the work of TCP's handshake and TLS's in one round "
        "trip, and encrypts nearly everything; here the key log opens the rest, and the steps below tell what it "
        "carried."),
    "quic.initial.hello.keys": (
        "The client opens a QUIC connection to {server_ep} over UDP (from port {client_port}): its Initial packet "
        "(QUIC version {version}, {size:bytes}: a client pads it to at least 1,200) begins the TLS 1.3 handshake "
        "with a ClientHello that names the site, SNI = {sni}, and offers the application protocols (ALPN) {alpn}. "
        "Initial packets are encrypted with keys anyone can derive from the packet itself, so an observer reads "
        "this as in TCP's ClientHello. QUIC is the transport of HTTP/3: it does the work of TCP's handshake and "
        "TLS's in one round trip and encrypts all the rest; here the key log opens the rest, and the steps below "
        "tell what it carried."),
    "quic.retry": (
        "The server answers {rtt_ms:dur} after the client's Initial with a Retry, not its handshake: before it "
        "spends work on the connection, it asks the client to prove that it receives packets at its address "
        "(address validation, RFC 9000 8.1). The Retry carries a token and a new connection ID; the client sends "
        "its Initial again with both (frame {retried_frame}, {resent_ms:dur} later), with keys derived from the "
        "new ID. It costs one round trip before the handshake; servers do it under load or against spoofed "
        "addresses."),
    "quic.retry.unanswered": (
        "The server answers {rtt_ms:dur} after the client's Initial with a Retry, not its handshake: it asks the "
        "client to prove that it receives packets at its address (address validation, RFC 9000 8.1) by sending "
        "its Initial again with the Retry's token. No such Initial was captured: the client gave up, or sent it "
        "where the capture does not see."),
    "quic.server": (
        "The server answers {rtt_ms:dur} after the client's Initial: its first packets carry the ServerHello and, "
        "encrypted, the rest of its handshake (its certificate among it)."),
    "quic.server.after_retry": (
        "The server answers {rtt_ms:dur} after the client's Initial with the token: its first packets carry the "
        "ServerHello and, encrypted, the rest of its handshake (its certificate among it)."),
    "quic.unanswered": (
        "No answer to the client's {count:n:Initial packet} ({waited_ms:dur} of capture after the first): nothing "
        "came back from {server_ep} over UDP. A network that blocks UDP to port {port} looks like this; a browser "
        "then uses HTTPS over TCP instead."),
    "quic.done": (
        "The client's first 1-RTT packet (short header), {done_ms:dur} after its Initial: its side of the "
        "handshake is done and what follows is encrypted with the session's keys."),
    "quic.data": (
        "Encrypted QUIC: {c_packets:n:datagram} ({c_bytes:bytes}) from the client and {s_packets:n:datagram} "
        "({s_bytes:bytes}) from the server in all, up to frame {last}, {span_ms:dur} after the Initial. The HTTP/3 "
        "requests and responses are inside; without the session's keys (the key log the client writes when "
        "SSLKEYLOGFILE is set, given with --keylog) they cannot be opened, so they cannot be told, nor how the "
        "connection ended (an encrypted CONNECTION_CLOSE or an idle timeout)."),
    "quic.data.keys": (
        "QUIC decrypted with the key log: {c_packets:n:datagram} ({c_bytes:bytes}) from the client and "
        "{s_packets:n:datagram} ({s_bytes:bytes}) from the server in all, up to frame {last}, {span_ms:dur} after "
        "the Initial; {packets:n:packet} opened, carrying HTTP/3: {requests:n:exchange} (told above)."),
    "quic.keys.missing": (
        "A TLS key log was given, but it does not open this QUIC connection ({why}): its Handshake and 1-RTT "
        "packets, and the HTTP/3 requests inside, stay encrypted. The key log must come from the client that made "
        "this connection (SSLKEYLOGFILE), from the same run."),
    "quic.gquic.hello": (
        "The client opens a Google QUIC (gQUIC) connection to {server_ep} over UDP (from port {client_port}): its "
        "first packet (version {version}, {size:bytes}) carries the hello of its handshake (CHLO) in clear "
        "text{named_text}.{complete_text} gQUIC is the QUIC Chrome spoke before the IETF's QUIC (RFC 9000, the "
        "transport of HTTP/3) replaced it; its handshake is Google's QUIC Crypto, not TLS, and what follows the "
        "hello is encrypted with keys no key log holds: only the packets' clear headers and this hello can be "
        "read."),
    "quic.gquic.server": (
        "The server answers {rtt_ms:dur} after the client's hello: encrypted, so the server took the hello (its own hello, SHLO, goes encrypted; a reject, REJ, "
        "would go in clear like the client's hello)."),
    "quic.gquic.server.resent": (
        "The client sent its hello {count:n:time} before any answer (frames {hellos:frames}; the last "
        "{resent_ms:dur} after the first: nothing had come back). The server answers {rtt_ms:dur} after the "
        "first, {last_ms:dur} after the last: encrypted, so the server took the hello (its own hello, SHLO, goes "
        "encrypted; a reject, REJ, would go in clear like the client's hello)."),
    "quic.gquic.reject": (
        "The server answers {rtt_ms:dur} after the client's hello with a reject (REJ, in clear): it does not take "
        "the hello as complete and sends what a complete one needs (its config, a source-address token); the "
        "client must send its hello again, one more round trip before any request."),
    "quic.gquic.unanswered": (
        "No answer to the client's {count:n:hello} ({waited_ms:dur} of capture after the first): nothing came "
        "back from {server_ep} over UDP. A network that blocks UDP to port {port} looks like this; a browser then "
        "uses HTTPS over TCP instead."),
    "quic.gquic.data": (
        "Encrypted gQUIC: {c_packets:n:datagram} ({c_bytes:bytes}) from the client and {s_packets:n:datagram} "
        "({s_bytes:bytes}) from the server in all, up to frame {last}, {span_ms:dur} after the first hello. The "
        "requests and responses are inside, encrypted with keys no key log holds: they cannot be told, nor how "
        "the connection ended."),
    "quic.race.quic": (
        "The client raced QUIC against TCP to {server}: its QUIC hello (frame {hello}) and the SYN of connection "
        "{stream} (frame {syn}) went {gap_ms:dur} apart. After the server's QUIC answer (frame {answer}) the client "
        "sent {after:n:datagram} over QUIC ({after_bytes:bytes}, frames {after_first}-{after_last}) and nothing "
        "more on connection {stream}: it went on over QUIC (the capture ends {tail_ms:dur} after that answer)."),
    "quic.race.both": (
        "The client raced QUIC against TCP to {server}: its QUIC hello (frame {hello}) and the SYN of connection "
        "{stream} (frame {syn}) went {gap_ms:dur} apart. After the server's QUIC answer (frame {answer}) the client "
        "sent on both: {after:n:datagram} over QUIC ({after_bytes:bytes}) and {tcp_after:n:segment} with data on "
        "connection {stream} ({tcp_bytes:bytes})."),
    "http3.request": (
        "HTTP/3 request: {method} {uri} (:authority {host}) on QUIC connection {stream} (UDP), decrypted with the "
        "key log, {size:bytes} of body."),
    "http3.request.early": (
        "HTTP/3 request sent as 0-RTT data: {method} {uri} (:authority {host}) on QUIC connection {stream} (UDP), "
        "decrypted with the key log, {size:bytes} of body. It left before the handshake was done, in a 0-RTT "
        "packet: the client resumed a TLS session it had from an earlier connection (a session ticket) and "
        "encrypted the request with keys derived from it, saving a round trip. An attacker could replay 0-RTT "
        "data, so servers take it only for requests that are safe to repeat, such as a GET (RFC 9001 9.2)."),
    "http3.response": (
        "HTTP/3 response: {status}{reason:phrase}, {content_type}, {size:bytes} of body. Time to first byte: "
        "{ttfb_ms:dur} after the request was sent; {transfer_ms:dur} to receive the response."),
    "http.pipelined": (
        "Pipelined: the client sent this request before the response to the previous one on connection {stream} "
        "({prev_method} {prev_uri}) had begun (frame {prev_frame}). HTTP/1.1 answers pipelined requests in order, "
        "one after the other, so this response had to wait for the ones before it: its time to first byte includes "
        "their turn (head-of-line blocking)."),
    "http.request.early_refused": (
        "{method} {uri} went first as TLS 1.3 early data (0-RTT), with the ClientHello: the server refused the "
        "early data (frame {evidence}) and never read it, so the client sent the request again after the "
        "handshake (frame {again_frame})."),
    "tcp.race.unanswered": (
        "Happy Eyeballs (RFC 8305): {server_ep} and {won_ep} are addresses of the same name, one per address "
        "family, and the client tried {family} first (connection {stream}, SYN in frame {syn}). No SYN-ACK came "
        "back, so {after_ms:dur} later it started {other} as well (connection {winner}, frame {wsyn}), which "
        "carried the requests. A dual-stack client races the two families so that a broken path costs it a short "
        "wait, not a failure."),
    "tcp.race.refused": (
        "Happy Eyeballs (RFC 8305): {server_ep} and {won_ep} are addresses of the same name, one per address "
        "family, and the client tried {family} first (connection {stream}, SYN in frame {syn}); the server "
        "refused it (frame {end}) and {after_ms:dur} after that SYN the client used {other} (connection {winner}, "
        "frame {wsyn}), which carried the requests."),
    "tcp.race.unused": (
        "Happy Eyeballs (RFC 8305): {server_ep} and {won_ep} are addresses of the same name, one per address "
        "family; the client opened connection {stream} over {family} (SYN in frame {syn}) and, {after_ms:dur} "
        "later, connection {winner} over {other} (frame {wsyn}), raced against each other: the {other} one "
        "carried the requests and connection {stream} went unused."),
    "tcp.spare": (
        "Connection {stream} carried no request: the client opened it {after_ms:dur} after connection {first} (frame "
        "{syn}){done_text} and the {closer:role} closed it {life_ms:dur} after its SYN (frame {close}), unused. "
        "Browsers open such spare connections ahead of need (a preconnect, or a second connection raced against "
        "the first) and close those the page did not need."),
    "tcp.spare.first": (
        "Connection {stream} carried no request: the client opened it first (frame {syn}){done_text} and the "
        "{closer:role} closed it {life_ms:dur} after its SYN (frame {close}), unused; connection {first}, opened "
        "{after_ms:dur} later, carried the requests. Browsers open connections ahead of need (a preconnect the "
        "requests could not take, or two raced against each other) and close those the page did not need."),
    "http.no_response": "No response to {method} {uri} in the capture ({why_text}).",
    "http.response.unrequested": (
        "HTTP response that answers no request the analyzer could read: {status}{reason:phrase}, "
        "{content_type_text}, {size:bytes} of body on connection {stream}. {cause_text}"),
    "http.incomplete": "The response to {uri} is incomplete ({why_text}).",
    "http.incomplete.bytes": (
        "The response to {uri} is incomplete: {announced_text}{received:bytes} of its body passed the capture "
        "point, up to relative seq {last_seq} (frame {last_frame}){holes_text}{unseen_text}. {end_text}"),
    "http.incomplete.head": (
        "The response to {uri} is incomplete: {announced_text}none of its body passed the capture point: the "
        "server's data in this file ends with the head, at relative seq {last_seq} (frame {last_frame}). {end_text}"),
    "http.wait.server": (
        "Of the {ttfb_ms:dur} to first byte, about {rtt_ms:dur} is the network round trip {rtt_src} and "
        "{think_ms:dur} the server's think time (TTFB - RTT): the server acknowledged the request at once (frame "
        "{ack_frame}, after {ack_ms:dur}) and took that long to answer."),
    "http.wait.server_noack": (
        "The time to first byte ({ttfb_ms:dur}) is much longer than the round trip ({rtt_ms:dur}): about "
        "{think_ms:dur} of server think time (TTFB - RTT) was spent before the answer."),
    "http.wait.lost": (
        "A time to first byte of {ttfb_ms:dur} against a round trip of {rtt_ms:dur}, and no ACK of the request "
        "from the server in between: a server that thinks that long would have acknowledged the request on its "
        "own after its delayed-ACK timer (about 40 ms). The figure matches the minimum retransmission timeout "
        "({rto_ms:.0f} ms on Linux) plus a round trip: most likely the server's first answer was lost before "
        "the capture point and this is its retransmission (the capture never saw the lost copy)."),
    "http.wait.resent": (
        "The {ttfb_ms:dur} to first byte went by in retransmission timers: no answer had come when the client sent "
        "its request again, {waited_ms:dur} after it (frame {resend_frame}), and the answer came {answer_ms:dur} "
        "after that copy (a round trip is {rtt_ms:dur}). Either the request's first copy was lost on its way to "
        "the server, which answered the copy, or the server's first answer was lost before the capture point and "
        "its own timer sent it again at about the same time. The TCP timestamps tell which: the answer's echo "
        "(TSecr) is the TSval of the request copy the server had."),
    "http.wait.resent.request_lost": (
        "The {ttfb_ms:dur} to first byte went by in retransmission timers: no answer had come when the client sent "
        "its request again, {waited_ms:dur} after it (frame {resend_frame}), and the answer came {answer_ms:dur} "
        "after that copy (a round trip is {rtt_ms:dur}). The request's first copy (frame {first_frame}) was lost on "
        "its way to the server: the answer's timestamp echo (TSecr {tsecr}) is the TSval of the copy in frame "
        "{copy_frame}, the one the server had (RFC 7323: a receiver echoes the segment that last advanced its "
        "window)."),
    "http.wait.resent.request_lost.again": (
        "The {ttfb_ms:dur} to first byte went by in retransmission timers: no answer had come when the client sent "
        "its request again, {waited_ms:dur} after it (frame {resend_frame}), and the answer came {answer_ms:dur} "
        "after that copy (a round trip is {rtt_ms:dur}). The request's copies in frames {lost_frames:frames} were "
        "lost on their way to the server: the answer's timestamp echo (TSecr {tsecr}) is the TSval of the copy in "
        "frame {copy_frame}, the one the server had (RFC 7323: a receiver echoes the segment that last advanced its "
        "window)."),
    "http.wait.resent.answer_lost": (
        "The {ttfb_ms:dur} to first byte went by in retransmission timers: no answer had come when the client sent "
        "its request again, {waited_ms:dur} after it (frame {resend_frame}), and the answer came {answer_ms:dur} "
        "after that copy (a round trip is {rtt_ms:dur}). The request was not lost: the answer's timestamp echo "
        "(TSecr {tsecr}) is older than the copy's TSval ({tsval}), so it echoes an earlier copy, the first (frame "
        "{first_frame}): the server had the request before the copy came. What was lost before the capture point "
        "is the server's first answer (or its ACK of the request); this one its own timer sent again, about when "
        "the client's fired."),
    # -- TLS ----------------------------------------------------------------------------------------------
    "tls.client_hello.sni": (
        "TLS ClientHello: the client starts a TLS session, in clear text. It names the site it wants, SNI = "
        "{sni} (anyone on the path can read it), and offers the versions {versions}, {ciphers:n:cipher suite}"
        "{alpn_offer}{psk_note}."),
    "tls.client_hello": (
        "TLS ClientHello: the client starts a TLS session, in clear text, with no server name (no SNI). It "
        "offers the versions {versions}, {ciphers:n:cipher suite}{alpn_offer}{psk_note}."),
    "tls.early_data.refused": (
        "The server refused the client's early data: {refusal}. A server skips refused early data unread (RFC 8446 "
        "4.2.10), so the {early_records:n:record} the client sent with its ClientHello ({early_bytes:bytes}, "
        "{early_where}) reached no application{resent_text}."),
    "tls.hello_retry": (
        "HelloRetryRequest: the server wants a key share for the group {group}, which the client did not send; "
        "the client must send a second ClientHello: one more round trip."),
    "tls.no_server_hello": "No ServerHello in the capture: the TLS handshake did not get through.",
    "tls.no_server_hello.soon": (
        "No ServerHello in the capture, which ends {waited_ms:dur} after the ClientHello, where a round trip on this "
        "connection takes {rtt_ms:dur}: too soon to tell whether the handshake got through."),
    "tls.server_hello.13": (
        "ServerHello, {rtt_ms:dur} after the ClientHello: the server picks {version} with {cipher}{alpn_text}. "
        "In TLS 1.3 everything after this message is encrypted, the server's certificate included: an "
        "observer learns the site's name (SNI) but not its certificate."),
    "tls.server_hello.13.resumed": (
        "ServerHello, {rtt_ms:dur} after the ClientHello: the server picks {version} with {cipher}{alpn_text} "
        "and accepts the client's pre-shared key: the session is resumed from an earlier one, so no "
        "certificate is sent."),
    "tls.server_hello.12": (
        "ServerHello, {rtt_ms:dur} after the ClientHello: the server picks {version} with {cipher}{alpn_text}. "
        "In TLS 1.2 the certificate and the key exchange that follow are still in clear text."),
    "tls.server_hello.12.resumed": (
        "ServerHello, {rtt_ms:dur} after the ClientHello: the server takes up an earlier session ({version}, "
        "{cipher}): an abbreviated handshake, without certificate or key exchange."),
    "tls.server_hello.lost": (
        "The ServerHello came {wait_ms:dur} after the ClientHello (frame {hello_frame}), against a round trip of "
        "{rtt_ms:dur}, and the client sent nothing again in between: a TLS server answers a ClientHello in about a "
        "millisecond. The figure matches the minimum retransmission timeout ({rto_ms:.0f} ms on Linux) plus a round "
        "trip: most likely the server's first flight (the ServerHello and what followed it) was lost before the "
        "capture point and this is the copy its timer sent again (the capture never saw the lost one)."),
    "tls.server_hello.lost.ack": (
        "The ServerHello came {wait_ms:dur} after the ClientHello (frame {hello_frame}), against a round trip of "
        "{rtt_ms:dur}, although the server had acknowledged the ClientHello at once (frame {ack_frame}, "
        "{ack_ms:dur} after it): it had the ClientHello all along, and a TLS server answers one in about a "
        "millisecond. The figure matches the minimum retransmission timeout ({rto_ms:.0f} ms on Linux) plus a round "
        "trip: most likely the server's first flight (the ServerHello and what followed it) was lost before the "
        "capture point and this is the copy its timer sent again (the capture never saw the lost one)."),
    "tls.certificate": (
        "Certificate, in clear text (TLS 1.2): the server proves it is {subject} {san_text}, issued by "
        "{issuer}, valid until {not_after}; {chain:n:certificate} in the chain."),
    "tls.certificate.decrypted": (
        "Certificate (decrypted with the key log; TLS 1.3 sends it encrypted): {subject} {san_text}, issued "
        "by {issuer}, valid until {not_after}; {chain:n:certificate} in the chain."),
    "tls.done.finished": (
        "The client's Finished: the handshake is done and the connection is secure {secure_ms:dur} after the "
        "ClientHello (time to secure connection). {trips_text}"),
    "tls.done.guess13": (
        "The client's first encrypted record after the ServerHello is its Finished: the handshake is done and "
        "the connection is secure {secure_ms:dur} after the ClientHello (time to secure connection). "
        "{trips_text}"),
    "tls.done.ccs12.server": (
        "The server's ChangeCipherSpec: from here on its records are encrypted and its Finished ends the "
        "handshake; the connection is secure {secure_ms:dur} after the ClientHello (time to secure "
        "connection). {trips_text}"),
    "tls.done.ccs12.client": (
        "The client's ChangeCipherSpec: from here on its records are encrypted and its Finished ends the "
        "abbreviated handshake; the connection is secure {secure_ms:dur} after the ClientHello (time to "
        "secure connection). {trips_text}"),
    "tls.ticket": (
        "NewSessionTicket: the server gives the client {tickets_text} to resume this session later without a "
        "full handshake."),
    "tls.ticket.again": (
        "Another NewSessionTicket (ticket {n}): servers hand out more than one (OpenSSL sends two by default), so "
        "that each later connection can resume with a ticket of its own: a TLS 1.3 ticket is best used only "
        "once (RFC 8446, appendix C.4)."),
    "tls.encrypted": (
        "Encrypted application data: {sent_records:n:record} ({sent_bytes:bytes}) from the client and "
        "{recv_records:n:record} ({recv_bytes:bytes}) from the server, frames {first}-{last}{aside_text}. The HTTP "
        "requests and responses are inside; {key_text}"),
    "tls.encrypted.no_request": (
        "No request on this connection: after the handshake the client sent no application data; the server sent "
        "{recv_records:n:record} ({recv_bytes:bytes}), {where}{aside_text}.{why_text}"),
    "tls.close_notify": (
        "TLS close_notify from the {who:role}: it ends the TLS session cleanly before TCP closes (so a cut "
        "connection cannot pass for a complete one)."),
    "tls.alert": "TLS alert from the {who:role}: {level}, {description}.",
    "tls.failed.alert": (
        "The {who:role} ends the TLS handshake with a fatal alert, {description}: {meaning} The handshake failed: "
        "no request was sent on this connection."),
    "tls.failed.encrypted": (
        "Instead of its Finished, the client sends one record of 19 bytes, exactly the size of an encrypted TLS 1.3 "
        "alert (2 bytes of alert, its content type and a 16-byte tag): the handshake failed on the client's side "
        "and no request was sent on this connection. In TLS 1.3 the client sees the server's certificate only "
        "after the ServerHello (it comes encrypted), so the most common cause is a certificate it does not accept "
        "(self-signed, from an authority it does not trust, expired, or not made for {sni_text}); without keys the "
        "alert's kind cannot be read."),
    "tls.alert.encrypted": (
        "An encrypted TLS alert from the {who:role}: without keys its kind is not known (before a TCP close it "
        "is usually close_notify)."),
    "tls.midstream": (
        "TLS records without their ClientHello: the TLS session began before the capture, so its parameters "
        "and keys are not known."),
    "delay.tls": "{ms:dur} for the TLS handshake of connection {stream}.",
    "delay.tls.stall": "{ms:dur} for the TLS handshake of connection {stream}, the {held_ms:dur} Nagle stall below "
                       "included.",
    "delay.client_page": (
        "{ms:dur} on the client between the page's last byte (frame {page_frame}) and its next move (frame "
        "{next_frame}), with nothing of the fetch on the network: the browser working on the page (reading it, "
        "running its scripts) before it asked for more ({uri}); time on the client, not the network nor the server."),
    "delay.tls.client": (
        "{ms:dur} for the TLS handshake of connection {stream}: the server's part came {server_ms:dur} after the "
        "ClientHello (frame {server_frame}); then {client_ms:dur} passed before the client's Finished (frame "
        "{fin_frame}), the connection carrying no data in between: time the client spent on its own (checking the "
        "server's certificate, or a program slow to go on), not the network nor the server."),
    # -- where the time went -----------------------------------------------------------------------------
    "delay.dns": "{ms:dur} resolving the name ({count:n:DNS query/DNS queries}).",
    "delay.dns.waits": "{ms:dur} resolving the name ({count:n:DNS query/DNS queries}).{tail}",
    "delay.dns.wait_included": " The {wait_ms:dur} wait below is part of it.",
    "delay.dns.late_included": " The {late_ms:dur} wait below for an answer that came too late is part of it.",
    "delay.dns.client_gap": (
        "{ms:dur} resolving the name ({count:n:DNS query/DNS queries}): the resolver's answers took {net_ms:dur} of "
        "it, the client itself {gap_ms:dur}, from the answer in frame {answer} to its next query in frame {next}: "
        "its resolver library asked one question after the other.{tail}"),
    "delay.dns.client_gaps": (
        "{ms:dur} resolving the name ({count:n:DNS query/DNS queries}): the resolver's answers took {net_ms:dur} of "
        "it, the client itself {gap_ms:dur}, between an answer and its next query (the longest {longest_ms:dur}, "
        "from the answer in frame {answer} to the query in frame {next}): its resolver library asked one question "
        "after the other.{tail}"),
    "delay.dns.names": (
        "{ms:dur} resolving names: {lookups:n:lookup/lookups} of {names:n:name/names} ({queries:n:query/queries}), "
        "each from its first query to its last answer: {per_name}. The client went on with its connections and "
        "requests between them: the {span_ms:dur} from the first query to the last answer is not time spent "
        "resolving.{tail}"),
    "delay.dns_retry": "{ms:dur} waiting before the DNS query for {qname} was sent again.",
    "delay.dns_late": (
        "{ms:dur} from the {qtype} query for {qname} (frame {query}) to its answer (frame {answer}), which came "
        "too late: the client had already stopped waiting for it and refused it (its ICMP error, frame {icmp}), "
        "so it did not use that answer."),
    "delay.dns_next_server": "{ms:dur} waiting for the resolver {resolver}, which never answered, before the client asked the next one for {qname}.",
    "delay.syn_retry": "{ms:dur} waiting to retransmit the SYN of connection {stream} ({attempts:n:attempt}).",
    "delay.connect": "{ms:dur} for the TCP handshake of connection {stream}.",
    "delay.syn_unanswered": (
        "{ms:dur} sending SYNs on connection {stream} ({attempts:n:SYN/SYNs}, frames {first} to {last}) that no "
        "SYN-ACK answered."),
    "delay.late_synack": "{ms:dur} waiting for a late SYN-ACK on connection {stream} (beyond a round trip).",
    "delay.server": "{ms:dur} of server think time for {uri}.",
    "delay.server.quiet": (
        "{ms:dur} of server think time for {uri}: its time to first byte, {ttfb_ms:dur} (the answer's first byte "
        "is frame {frame}), less one round trip, {rtt_ms:dur}."),
    "delay.server.quiet.many": (
        "{ms:dur} of server think time in {count:num} answers ({uris:frames}: {waits:durs}; their first bytes are "
        "frames {firsts:frames}), each its time to first byte less one round trip."),
    "delay.lost_answer": "{ms:dur} waiting for an answer that was most likely lost and retransmitted.",
    "delay.lost_answer.tls": (
        "{ms:dur} waiting for the server's first TLS flight on connection {stream} to be sent again (most likely lost "
        "before the capture point)."),
    "delay.lost_answer.after": (
        "{ms:dur} from the client's last copy of the request (frame {last_frame}) to the answer: the server's timer "
        "sending again an answer that was most likely lost."),
    "delay.loss.tail": (
        "{ms:dur} waiting for the {sender:role}'s timer to send again a segment most likely lost before the "
        "capture point (frame {frame})."),
    "delay.loss": "{ms:dur} lost recovering a lost segment.",
    "delay.loss.fin": "{ms:dur} lost recovering a lost FIN.",
    "delay.release": (
        "{ms:dur} from the {closer:role}'s FIN to its ACK: the release waited for segments sent again (frames "
        "{copies:frames})."),
    "delay.release.one": (
        "{ms:dur} from the {closer:role}'s FIN to its ACK: the release waited for a segment sent again (frame "
        "{copies:frames})."),
    "delay.retransmission": "{ms:dur} waiting for a retransmission timer.",
    "delay.retransmission.dup": (
        "{ms:dur} until a segment the receiver had not got was sent again (its duplicate ACKs asked for it)."),
    "delay.retransmission.timeouts": (
        "{ms:dur} in {count:num} retransmission timeouts of the {sender:role}'s data on connection {stream} "
        "({waits:durs}): each time no ACK came before the timer ran out."),
    "delay.idle": (
        "{ms:dur} with nothing of the fetch on the network, from frame {last} until the {who:role}'s {flag} closed "
        "connection {stream} (frame {end}): the connection stayed open with nothing to carry; the fetch's total runs "
        "to its close, but this time was not spent loading."),
    "delay.idle_data": (
        "{ms:dur} with nothing of the fetch on the network, from frame {last} until the {who:role} sent "
        "{size:bytes} on connection {stream} (frame {end}): nothing was left to carry and the connection stayed open, "
        "waiting for the {who:role} to go on (its program, or a person at it), not for the network."),
    "delay.idle_data.far": (
        "{ms:dur} on the {who:role}'s side before it sent {size:bytes} on connection {stream} (frame {end}): of the "
        "{gap_ms:dur} from frame {last}, the other {far_ms:dur} is the round trip between the capture point and the "
        "{who:role} (measured on the handshake, frames {hs_a} and {hs_b}); nothing was left to carry, so the rest is "
        "the {who:role} going on (its program, or a person at it), not the network."),
    "delay.idle_request.far": (
        "{ms:dur} on the client before it sent its next request, {request}, on connection {stream} (frame {end}): of "
        "the {gap_ms:dur} from frame {last}, the other {far_ms:dur} is the round trip between the capture point and "
        "the client (measured on the handshake, frames {hs_a} and {hs_b}); the rest is time on the client between "
        "its requests, not the network nor the server."),
    "delay.idle_request": (
        "{ms:dur} with nothing of the fetch on the network, from frame {last} until the client sent its next "
        "request, {request}, on connection {stream} (frame {end}): time on the client between its requests (a "
        "browser reading what it got, a script going on), not the network nor the server."),
    "delay.idle_syn": (
        "{ms:dur} with nothing of the fetch on the network, from frame {last} until the client opened connection "
        "{stream} (its SYN, frame {end}): time on the client before its next connection, not the network nor the "
        "server."),
    "delay.idle_dns": (
        "{ms:dur} with nothing of the fetch on the network, from frame {last} until the client's DNS query for "
        "{qname} (frame {end}): time on the client before it looked up its next name, not the network nor the "
        "server."),
    "delay.left_out": "{count:n:smaller part/smaller parts}, {ms:dur} in all, not listed above: {parts}.",
    "delay.left_out.all": "{count:n:part/parts}, each under a tenth of the {total_ms:dur}, {ms:dur} in all: {parts}.",
    "delay.rest": (
        "The other {ms:dur} of the {total_ms:dur} is not broken down here: round trips, {carried} and the time "
        "between the parts above."),
    "delay.rest.all": (
        "The {total_ms:dur} is not broken down here: round trips, {carried} and the time between the parts "
        "above."),
    "delay.overlap": (
        "Some of these parts run at the same time: together they come to {ms:dur}, more than the {total_ms:dur} "
        "the fetch took."),
    "delay.race": (
        "{ms:dur} waiting for {family} (connection {stream}: no answer) before the client tried {other} too "
        "(Happy Eyeballs)."),
    "delay.stall": "{ms:dur} stalled by Nagle's algorithm and a delayed ACK.",
    "delay.expect_wait": "{ms:dur} waiting for a 100 Continue the server never sent (Expect: 100-continue).",
    "delay.zero_window": "{ms:dur} stopped by a zero window.",
    "delay.transfer": "{ms:dur} transferring {uri} ({size:bytes}).",
    "delay.client_dns": (
        "{ms:dur} on the client between the DNS answer (frame {answer}) and its SYN (frame {syn}): nothing of the "
        "fetch was on the network; it is the client's own time (its resolver library handing the address over, "
        "the program opening a socket), plus the way between the capture point and the client when the capture "
        "was not taken on the client."),
    "delay.client_dns_arp": (
        "{ms:dur} on the client between the DNS answer (frame {answer}) and its ARP request for the next hop "
        "(frame {arp}): nothing of the fetch was on the network; it is the client's own time (its resolver library "
        "handing the address over, the program opening a socket), plus the way between the capture point and the "
        "client when the capture was not taken on the client."),
    "delay.client_dns_nd": (
        "{ms:dur} on the client between the DNS answer (frame {answer}) and its Neighbor Solicitation for the next "
        "hop (frame {arp}): nothing of the fetch was on the network; it is the client's own time (its resolver "
        "library handing the address over, the program opening a socket), plus the way between the capture point "
        "and the client when the capture was not taken on the client."),
    "delay.client_send": (
        "{ms:dur} on the client between the end of the handshake (frame {ack}) and its first data (frame {data}): "
        "nothing was on the network; the program was preparing what it sends first."),
}

_ZH: dict[str, str] = {
    "arp.request.gateway": (
        "ARP 请求（广播）：客户端 {client} 询问「谁是 {target}？请告诉 {client}」。{target} 不是服务器，所以它是"
        "默认网关（路由器）：服务器 {server} 在另一个网络上，发往它的每个帧都要交给网关的 MAC 地址。"),
    "arp.request.server": (
        "ARP 请求（广播）：客户端 {client} 询问「谁是 {target}？请告诉 {client}」。{target} 就是服务器本身："
        "客户端和服务器在同一子网，帧直接发往服务器的 MAC 地址，中间没有路由器。"),
    "arp.request.resolver": (
        "ARP 请求（广播）：客户端 {client} 询问「谁是 {target}？请告诉 {client}」，以便联系同一子网上的 DNS "
        "服务器 {target}。"),
    "arp.request.neighbour": "ARP 请求（广播）：{client} 询问「谁是 {target}？请告诉 {client}」。",
    "arp.reply": (
        "ARP 应答（单播）：{target} 的 MAC 地址是 {mac}，在请求发出 {rtt_ms:dur}后到达。客户端把它存入 ARP "
        "缓存，之后就能把这个 MAC 地址填进以太网帧头。"),
    "arp.unanswered": (
        "抓包中没有对 {target} 的 ARP 应答：这条链路上没有任何主机认领这个地址（主机已关机，或地址有误），"
        "客户端因此无法向它发送任何帧。"),
    "arp.unseen": (
        "抓包中没有这个请求的应答，但这并不能证明没人应答：ARP 应答只发给提问者，不在提问者路径上的抓包"
        "（例如交换机的另一个端口）根本看不到它。抓包又持续了 {waited_ms:dur}，提问者没有再问"
        "（得不到应答的主机大约每秒重问一次），所以它多半已经得到了应答。"),
    "arp.unseen.end": (
        "抓包中没有这个请求的应答，但这并不能证明没人应答：ARP 应答只发给提问者，不在提问者路径上的抓包"
        "（例如交换机的另一个端口）根本看不到它。抓包在请求之后 {waited_ms:dur}就结束了，来不及看出提问者"
        "会不会再问（得不到应答时大约每秒重问一次）。"),
    "arp.unseen.last": (
        "抓包中没有这个请求的应答，但这并不能证明没人应答：ARP 应答只发给提问者，不在提问者路径上的抓包"
        "（例如交换机的另一个端口）根本看不到它。抓包在这个请求的时刻就结束了（文件中没有更晚的帧），来不及看出提问者会不会再问"
        "（得不到应答时大约每秒重问一次）。"),
    "nd.unseen": (
        "抓包中没有应答这个请求的邻居通告，但这并不能证明没人应答：邻居通告只发给提问者，不在它路径上的"
        "抓包看不到。抓包又持续了 {waited_ms:dur}，提问者没有再问，所以它多半已经得到了应答。"),
    "nd.unseen.end": (
        "抓包中没有应答这个请求的邻居通告，但这并不能证明没人应答：邻居通告只发给提问者，不在它路径上的"
        "抓包看不到。抓包在请求之后 {waited_ms:dur}就结束了，来不及看出提问者会不会再问。"),
    "arp.announcement": (
        "免费 ARP：{client} 宣告自己的 MAC 地址是 {mac}（它查询的是自己的地址，好让邻居更新缓存，"
        "如有地址冲突也会暴露出来）。"),
    "arp.announcement.reply": (
        "免费 ARP 应答：{client} 在无人询问的情况下宣告自己的 MAC 地址是 {mac}（一个没有请求在先、关于自己地址的 ARP 应答）："
        "ARP 缓存里有 {client} 的主机会随之更新。接口启用、或地址或 MAC 改变时，主机会发出这种报文。"),
    "arp.none.loopback": "没有 ARP：客户端和服务器通过环回接口（{client}）通信，数据包不离开本机，无需查找 MAC 地址。",
    "arp.none.earlier": (
        "本次访问没有 ARP 请求：客户端已在第 {frame} 帧（第 {fetch} 次访问）解析过下一跳 {target}"
        "（MAC 地址 {mac}），ARP 缓存里仍有这条记录。"),
    "arp.request.gateway_dns": (
        "ARP 请求（广播）：客户端 {client} 询问「谁是 {target}？请告诉 {client}」。{target} 不是它的 DNS 服务器 "
        "{resolver}，所以它是通往该服务器途中的默认网关（路由器）。"),
    "arp.none.unknown": (
        "{opener}；本次访问中没有客户端发出的帧，"
        "因此不知道它用的是哪个下一跳。"),
    "arp.none.unknown.link": (
        "{opener}；这份抓包的链路层不记录目的 MAC 地址（原始 IP，或 Linux 的 SLL 抓包），因此不知道客户端的帧"
        "发往了哪个下一跳。"),
    "arp.none.nomac": (
        "{opener}；它的帧中没有真实的 MAC 地址（全为零），"
        "因此看不出它用的是哪个下一跳。"),
    "arp.none.cached": (
        "{opener}：它的 ARP 缓存里已有下一跳的 MAC 地址"
        "（{mac}），或者在开始抓包之前就已解析过。"),
    "arp.none.cached.none": (
        "{opener}，也没有任何主机的 ARP 报文：要么客户端的 ARP 缓存里已有下一跳的 MAC 地址（{mac}）（或者在开始"
        "抓包之前就已解析过），要么这次抓包没有记录 ARP（例如只抓 TCP 80 端口的抓包过滤器会把它排除在外）。"),
    "arp.none.cached.filtered": (
        "{opener}，也没有任何主机的 ARP 报文，而这次抓包用的过滤器是「{filter}」：要么客户端的 ARP 缓存里已有"
        "下一跳的 MAC 地址（{mac}），要么这个过滤器把它的 ARP 请求挡在了文件之外。"),
    "arp.none.cached.filtered.display": (
        "{opener}（只看显示过滤器「{filter}」放行的帧）：时间线只看这些帧；去掉 -Y 再读这个文件，才能知道客户端"
        "是否询问过下一跳的 MAC 地址（{mac}）。"),
    "nd.request.gateway": (
        "邻居请求（ICMPv6，发往请求节点组播地址）：客户端 {client} 询问 {target} 的 MAC 地址。IPv6 没有 ARP，"
        "由邻居发现协议完成同样的工作。{target} 不是服务器，所以它是路由器：服务器 {server} 在另一个网络上。"),
    "nd.request.server": (
        "邻居请求（ICMPv6）：客户端 {client} 询问服务器 {target} 本身的 MAC 地址：客户端和服务器在同一条链路上。"
        "IPv6 没有 ARP，由邻居发现协议完成同样的工作。"),
    "nd.request.resolver": (
        "邻居请求（ICMPv6）：客户端 {client} 询问同一链路上的 DNS 服务器 {target} 的 MAC 地址。IPv6 没有 ARP，"
        "由邻居发现协议完成同样的工作。"),
    "nd.request.neighbour": "邻居请求（ICMPv6）：{client} 询问 {target} 的 MAC 地址。",
    "nd.reply": "邻居通告：{target} 的 MAC 地址是 {mac}，在请求发出 {rtt_ms:dur}后到达。客户端把它存入邻居缓存。",
    "nd.request.unicast": (
        "邻居请求（ICMPv6），以单播直接发给 {target}，而不是发往它的请求节点组播地址：{client} 已经知道它的 MAC 地址，"
        "只是确认它是否仍然可达（邻居不可达检测，RFC 4861 7.3）。"),
    "nd.reply.nomac": (
        "{target} 的邻居通告，在请求发出 {rtt_ms:dur}后到达：它仍然可达。通告中没有链路层地址选项"
        "（应答单播请求时不需要，RFC 4861 7.2.4）；这一帧来自 {link_mac}。"),
    "nd.unanswered": "抓包中没有对 {target} 的邻居通告：这条链路上没有主机应答这个地址。",
    "nd.none.loopback": "没有邻居发现：客户端和服务器通过环回接口（{client}）通信，数据包不离开本机。",
    "nd.none.earlier": (
        "本次访问没有邻居请求：客户端已在第 {frame} 帧（第 {fetch} 次访问）解析过下一跳 {target}"
        "（MAC 地址 {mac}），邻居缓存里仍有这条记录。"),
    "nd.none.earlier.checked": (
        "本次访问没有邻居请求：客户端早已知道下一跳 {target} 的 MAC 地址（{mac}），最近一次在第 {frame} 帧"
        "（第 {fetch} 次访问）确认过它仍然可达（它的单播邻居请求得到了应答）；邻居缓存里仍有这条记录。"),
    "nd.request.gateway_dns": (
        "邻居请求（ICMPv6）：客户端 {client} 询问 {target} 的 MAC 地址，它是通往 DNS 服务器 {resolver} 途中的路由器。"
        "IPv6 没有 ARP，由邻居发现协议完成同样的工作。"),
    "nd.none.unknown": (
        "{opener}；本次访问中没有客户端发出的帧，"
        "因此不知道它用的是哪个下一跳。"),
    "nd.none.unknown.link": (
        "{opener}；这份抓包的链路层不记录目的 MAC 地址（原始 IP，或 Linux 的 SLL 抓包），因此不知道客户端的帧"
        "发往了哪个下一跳。"),
    "nd.none.nomac": (
        "{opener}；它的帧中没有真实的 MAC 地址（全为零），"
        "因此看不出它用的是哪个下一跳。"),
    "nd.none.cached": (
        "{opener}：它的邻居缓存里已有下一跳的 MAC 地址（{mac}）。"
        "（IPv6 用邻居发现协议而不是 ARP 来查找 MAC 地址。）"),
    "nd.none.cached.none": (
        "{opener}，也没有任何主机的邻居发现报文：要么客户端的邻居缓存里已有下一跳的 MAC 地址（{mac}），要么这次"
        "抓包没有记录 ICMPv6（例如只抓 TCP 80 端口的抓包过滤器会把它排除在外）。（IPv6 用邻居发现协议而不是 ARP "
        "来查找 MAC 地址。）"),
    "nd.none.cached.filtered": (
        "{opener}，也没有任何主机的邻居发现报文，而这次抓包用的过滤器是「{filter}」：要么客户端的邻居缓存里已有"
        "下一跳的 MAC 地址（{mac}），要么这个过滤器把它的邻居请求挡在了文件之外。"),
    "nd.none.cached.filtered.display": (
        "{opener}（只看显示过滤器「{filter}」放行的帧）：时间线只看这些帧；去掉 -Y 再读这个文件，才能知道客户端"
        "是否询问过下一跳的 MAC 地址（{mac}）。"),
    "dns.query": (
        "DNS 查询：客户端向域名服务器 {resolver} 查询 {qname} 的 {qtype} 记录（经 {ip_version} 的 {transport} "
        "{port} 端口，标识 {id_hex}）。"),
    "dns.query.search": (
        "对 {qname}（{qtype}）的 DNS 查询：客户端的解析库在 {host} 后面加上了搜索域，也试一试这个名字"
        "（{transport} {port} 端口，标识 {id_hex}）。"),
    "dns.query.again.same_id": (
        "再次查询 {qname}（{qtype}），ID 仍是 {id_hex}：第 {prev_frame} 帧的查询在 {waited_ms:dur}内没有得到应答，所以客户端重新询问。"),
    "dns.query.next_server": (
        "客户端向列表中的下一个解析器 {resolver} 问同一个问题（{qname}，{qtype}，ID 仍是 {id_hex}）：{prev_resolver} 在 "
        "{waited_ms:dur}内没有应答（第 {prev_frame} 帧），这是它的解析库等待的时间，于是转向列表中的下一个服务器"
        "（/etc/resolv.conf 中的 nameserver 行，或网络设置中的 DNS 服务器）。这段等待也算在这次查询的时间里。"),
    "dns.no_answer.asked_again": "{resolver} 没有应答 {qname}（{qtype}）的查询：{waited_ms:dur}之后客户端再次询问（第 {next_frame} 帧）。",
    "dns.query.again": (
        "再次查询 {qname}（{qtype}），换了新的标识 {id_hex}：第 {prev_frame} 帧的查询没有得到应答，客户端重新发问。"),
    "dns.query.tcp": (
        "通过 TCP 的 DNS 查询：客户端在刚建立的 TCP 连接上，再次向 {resolver} 查询 {qname} 的 {qtype} 记录"
        "（标识 {id_hex}）。"),
    "dns.query.tcp.first": (
        "通过 TCP 的 DNS 查询：客户端在它建立的 TCP 连接上向 {resolver} 查询 {qname} 的 {qtype} 记录（标识 {id_hex}）；"
        "此前没有通过 UDP 查询过它，所以这不是应答被截断之后的重试：客户端一开始就选择了 TCP。"),
    "dns.retransmission": (
        "等了 {waited_ms:dur}仍无应答：客户端再次发送对 {qname} 的同一查询（第 {attempt} 次尝试，标识同为 "
        "{id_hex}，首次在第 {first} 帧发出）。UDP 本身不会重传，是客户端的解析库超时后重新发问。"),
    "dns.icmp": (
        "没有 DNS 应答：查询发出 {rtt_ms:dur}后，{sender} 回了一个引用这条查询的 ICMP 差错报文（{icmp:icmp}）。"
        "{resolver} 上没有任何程序接收这条查询（那里没有 DNS 服务器在监听，或者路由器无法到达那里），"
        "所以客户端的解析库会立刻放弃这台服务器，而不是一直等下去。"),
    "dns.no_answer.soon": (
        "抓包中没有对 {qname}（{qtype}）查询的应答，而抓包在最后一次尝试之后 {waited_ms:dur}就结束了："
        "比解析库放弃等待的时间（glibc 默认 5 秒）还早，所以从这个文件看不出应答到底来没来。"),
    "dns.no_answer": (
        "最后一次尝试之后 5 秒内没有对 {qname}（{qtype}）查询的应答，而解析库等这么久就会放弃（glibc 的默认值）："
        "域名服务器 {resolver} 不可达或太慢，或者应答丢失了。"),
    "dns.no_answer.fragmented": (
        "最后一次尝试之后 5 秒内没有对 {qname}（{qtype}）查询的完整应答，而解析库等这么久就会放弃（glibc 的默认值）："
        "域名服务器 {resolver} 发出的内容中，只有一个数据报的 {count} 个 IP 分片经过了抓包点（见上文），不足以重组。"),
    "dns.answer": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 的地址是 {addresses}（TTL {ttl} 秒：客户端可以缓存这么久）。"
        "客户端现在可以向它建立 TCP 连接了。"),
    "dns.answer.quic": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 的地址是 {addresses}（TTL {ttl} 秒："
        "客户端可以缓存这么久）。客户端现在可以连接它了：这里走的是 QUIC（UDP），而不是 TCP。"),
    "dns.answer.fragments": (
        "在查询 {qname} 之后 {rtt_ms:dur}，域名服务器 {resolver} 发给客户端的 {count} 个 IP 分片到达了，很可能是应答的一部分："
        "较大的应答（EDNS 允许 UDP 上的应答超过链路的 MTU）会被拆成多个 IP 分片。这个数据报的其余部分从未经过抓包点，"
        "所以这个文件无法把它重组；如果其余部分在途中丢失了，客户端同样无法重组：丢失一个分片就丢掉了整个数据报。"),
    "dns.answer.open": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 的地址是 {addresses}（TTL {ttl} 秒：客户端可以缓存这么久）。"
        "到这个地址的连接 {stream} 此前已经打开（本文件中没有它的 SYN）：客户端继续使用它，不需要新建连接。"),
    "dns.answer.cname": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 是别名（CNAME 链 {chain}），最终名字的地址是 {addresses}"
        "（TTL {ttl} 秒）。"),
    "dns.answer.empty": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 没有 {qtype} 记录（名字存在，但没有这种类型的记录：此处即"
        "{qtype_hint}）。"),
    "dns.answer.nodata": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 没有 {qtype} 记录（NOERROR 且应答部分为空：名字存在，但没有这种类型的记录）。"),
    "dns.answer.records": "DNS 应答（用时 {rtt_ms:dur}）：{qname}（{qtype}）有 {count} 条记录：{records}。",
    "dns.answer.refused": (
        "DNS 应答（用时 {rtt_ms:dur}）来得太晚：{late_ms:dur}后，客户端回了一个引用它的 ICMP 差错报文（{icmp:icmp}，"
        "第 {icmp_frame} 帧）。客户端的 {client_port} 端口已经关闭：它已不再等这条应答（解析库超时就放弃，"
        "glibc 默认 5 秒），于是把应答（{records}）丢掉了。这条应答之后不会有连接。"),
    "dns.answer.late": (
        "{qname}（{qtype}）的 DNS 应答来晚了：它在查询（第 {query_frame} 帧）之后 {rtt_ms:dur}、最后一次尝试之后 "
        "{since_ms:dur}才到，超过了解析库等待应答的 5 秒（glibc 的默认值；查询那一步已说明 5 秒内没有应答）。"
        "客户端很可能已经放弃，把这条应答（{what}）丢掉了。"),
    "dns.answer.late.used": (
        "{qname}（{qtype}）的 DNS 应答来晚了：它在查询（第 {query_frame} 帧）之后 {rtt_ms:dur}、最后一次尝试之后 "
        "{since_ms:dur}才到，超过了解析库通常等待的 5 秒（glibc 的默认值；查询那一步已说明 5 秒内没有应答）。"
        "客户端仍然用了它：{used_ms:dur}后，它在第 {used_frame} 帧连接了应答给出的地址 {server}（{what}），"
        "说明它的解析器等得更久。"),
    "dns.answer.late.retried": (
        "{qname}（{qtype}）的 DNS 应答来晚了：它在第一次查询（第 {query_frame} 帧）之后 {rtt_ms:dur}、"
        "其最后一次尝试之后 {since_ms:dur}才到。这时客户端已经重新询问（第 {retry_frame} 帧）："
        "这条对先前查询的应答（{what}）很可能被丢掉了。"),
    "dns.answer.late.retried.answered": (
        "{qname}（{qtype}）的 DNS 应答来晚了：它在第一次查询（第 {query_frame} 帧）之后 {rtt_ms:dur}、"
        "其最后一次尝试之后 {since_ms:dur}才到。这时客户端已经重新询问（第 {retry_frame} 帧），"
        "并且已经收到那次查询的应答（第 {retry_answer} 帧）：这条对先前查询的应答（{what}）来得太晚，已经没有用了。"),
    "dns.answer.lone.unread": (
        "{resolver} 发给 {client} 的一条 DNS 应答（ID {id_hex}，类型 {qtype}），其中的问题无法读取：{why}。"
        "应答中的记录：{what}。它的查询不在本文件中：{lone_text}{used_text}"),
    "dns.answer.lone.start": (
        "{resolver} 发给 {client} 的 {qname}（{qtype}）DNS 应答（ID {id_hex}）：{what}。它的查询不在本文件中："
        "抓包在这条应答之前 {before_ms:dur}才开始，那时查询已经发出。"),
    "dns.answer.lone.start.used": (
        "{resolver} 发给 {client} 的 {qname}（{qtype}）DNS 应答（ID {id_hex}）：{what}。它的查询不在本文件中："
        "抓包在这条应答之前 {before_ms:dur}才开始，那时查询已经发出。客户端用了它：{used_ms:dur}后，"
        "它在第 {used_frame} 帧连接了 {server}。"),
    "dns.answer.lone.first": (
        "{resolver} 发给 {client} 的 {qname}（{qtype}）DNS 应答（ID {id_hex}）：{what}。它的查询不在本文件中："
        "这条应答就是抓包的第一帧，查询在抓包开始之前就已发出。"),
    "dns.answer.lone.first.used": (
        "{resolver} 发给 {client} 的 {qname}（{qtype}）DNS 应答（ID {id_hex}）：{what}。它的查询不在本文件中："
        "这条应答就是抓包的第一帧，查询在抓包开始之前就已发出。客户端用了它：{used_ms:dur}后，"
        "它在第 {used_frame} 帧连接了 {server}。"),
    "dns.answer.lone": (
        "{resolver} 发给 {client} 的 {qname}（{qtype}）DNS 应答（ID {id_hex}）：{what}。它的查询不在本文件中："
        "应答之前的 {looked_ms:dur}内没有这个 ID 的查询（抓包没有看到它：走了别的路径，或被过滤掉；"
        "也可能根本没人问过）。"),
    "dns.answer.lone.used": (
        "{resolver} 发给 {client} 的 {qname}（{qtype}）DNS 应答（ID {id_hex}）：{what}。它的查询不在本文件中："
        "应答之前的 {looked_ms:dur}内没有这个 ID 的查询（抓包没有看到它：走了别的路径，或被过滤掉）。"
        "客户端用了它：{used_ms:dur}后，它在第 {used_frame} 帧连接了 {server}。"),
    "dns.query.unread": (
        "{client} 发给 {resolver} 的 DNS 查询（{transport} 端口 {port}，ID {id_hex}）"
        "无法读取：{why}。"
        "在它之后的 5 秒内没有带这个 ID 的应答（5 秒是解析库等待应答的时间，glibc 的默认值）。"),
    "dns.query.unread.copies": (
        "{client} 发给 {resolver} 的 DNS 查询（{transport} 端口 {port}，ID {id_hex}）"
        "无法读取：{why}。"
        "客户端从同一端口以同一 ID 一共发送了 {attempts} 次（第 {sent:frames} 帧）。"
        "在最后一次发送之后的 5 秒内没有带这个 ID 的应答（5 秒是解析库等待应答的时间，"
        "glibc 的默认值）。"),
    "dns.query.unread.soon": (
        "{client} 发给 {resolver} 的 DNS 查询（{transport} 端口 {port}，ID {id_hex}）"
        "无法读取：{why}。抓包中没有带这个 ID 的应答，"
        "而抓包在它之后 {waited_ms:dur}就结束了："
        "比解析库放弃等待的时间（glibc 默认 5 秒）还早，所以从这个文件看不出应答到底来没来。"),
    "dns.query.unread.soon.copies": (
        "{client} 发给 {resolver} 的 DNS 查询（{transport} 端口 {port}，ID {id_hex}）"
        "无法读取：{why}。"
        "客户端从同一端口以同一 ID 一共发送了 {attempts} 次（第 {sent:frames} 帧）。"
        "抓包中没有带这个 ID 的应答，而抓包在最后一次发送之后 {waited_ms:dur}就结束了："
        "比解析库放弃等待的时间（glibc 默认 5 秒）还早，所以从这个文件看不出应答到底来没来。"),
    "dns.query.unread.answered": (
        "{client} 发给 {resolver} 的 DNS 查询（{transport} 端口 {port}，ID {id_hex}）"
        "无法读取：{why}。"
        "{resolver} 在 {rtt_ms:dur}后应答了这个 ID（第 {answer_frame} 帧）："
        "{rcode}。"),
    "dns.query.unread.answered.copies": (
        "{client} 发给 {resolver} 的 DNS 查询（{transport} 端口 {port}，ID {id_hex}）"
        "无法读取：{why}。"
        "客户端从同一端口以同一 ID 一共发送了 {attempts} 次（第 {sent:frames} 帧）。"
        "{resolver} 在 {rtt_ms:dur}后应答了这个 ID（第 {answer_frame} 帧）："
        "{rcode}。"),
    "dns.query.unread.more": (
        "另有 {count} 个无法读取的 DNS 查询（第 {first} 帧到第 {last} 帧，"
        "其中 {answered} 个有应答），不再逐条讲述。"),
    "dns.answer.stray.more": (
        "另有 {count} 条没有对应查询的 DNS 应答（第 {first} 帧到第 {last} 帧，其中 {late} 条是迟到的应答），"
        "不再逐条讲述。"),
    "dns.answer.nxdomain": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 不存在（NXDOMAIN，「No such name」）。这个应答之后不可能有连接。"),
    "dns.answer.nxdomain.search": (
        "DNS 应答（用时 {rtt_ms:dur}）：{qname} 不存在（NXDOMAIN），这在意料之中：它只是加上搜索域后的猜测；"
        "客户端接着使用原来的名字。"),
    "dns.answer.servfail": (
        "DNS 应答（用时 {rtt_ms:dur}）：域名服务器无法解析 {qname}（SERVFAIL，「Server failure」：该域名的权威"
        "服务器没有应答，或应答有误）。"),
    "dns.answer.error": (
        "DNS 应答（用时 {rtt_ms:dur}）：域名服务器拒绝或未能处理对 {qname} 的查询：{rcode_name}"
        "（rcode {rcode}）。"),
    "dns.answer.truncated": (
        "DNS 应答（用时 {rtt_ms:dur}）带有 TC（截断）标志：{qname} 的完整应答装不进一个 UDP 数据报，"
        "域名服务器只发了一部分。客户端必须改用 TCP 重新查询，TCP 上的应答最多可达 64 KB。"),
    "dns.answer.truncated.empty": (
        "DNS 应答（用时 {rtt_ms:dur}）带有 TC（截断）标志，而且一条记录也没有：{qname} 的完整应答装不进一个 UDP 数据报，"
        "域名服务器干脆一条都没发，只给了这个标志。客户端必须改用 TCP 重新查询，TCP 上的应答最多可达 64 KB。"),
    "dns.tcp.connect": "为重试 DNS 查询，建立到 {server} 的 {port} 端口的 TCP 连接 {stream}：三次握手（第 {frames:frames} 帧）。",
    "dns.tcp.close": "承载 DNS 的 TCP 连接 {stream} 关闭，{closer:role}先发起（第 {frames:frames} 帧）。",
    "dns.tcp.connect.first": "建立到 {server} 的 {port} 端口的 TCP 连接 {stream}，用来承载 DNS：三次握手（第 {frames:frames} 帧）。",
    "dns.none.proxy": (
        "客户端没有查询 {host}：它请 HTTP 代理 {proxy} 去连接 {target}（CONNECT），由代理自己解析这个名字；客户端只需要"
        "代理的地址。"),
    "http.connect": "客户端请 HTTP 代理 {server_ep} 打开一条到 {target} 的隧道（CONNECT）：代理去连接那里，并把两个方向的字节原样转发。",
    "http.connect.again": "客户端在同一个连接上再次请求 CONNECT {target}{credentials_text}。",
    "http.connect.auth": "代理要求客户端先证明身份，否则拒绝：{status}{reason:phrase}，在请求之后 {wait_ms:dur}{challenge_text}。",
    "http.connect.refused": "代理拒绝建立隧道：{status}{reason:phrase}，在请求之后 {wait_ms:dur}；没有经由它连接到 {target}。",
    "http.connect.open": (
        "代理在 CONNECT 之后 {wait_ms:dur}回答 {status}{reason:phrase}：它已经连接到 {target}（那个连接从代理发出，不在这条路径上）。"
        "从这里开始，这个连接端到端地承载到站点的 TLS：代理只是转发，只看到加密的字节。"),
    "http.connect.open.other": (
        "代理在 CONNECT 之后 {wait_ms:dur}回答 {status}{reason:phrase}：它已经连接到 {target}（那个连接从代理发出，不在这条路径上），"
        "从这里开始把这个连接上两个方向的字节原样转发。"),
    "http.connect.none": "这个连接上没有打开隧道：{url} 的任何内容都没有经过它（没有和站点进行 TLS 握手，也没有请求到达站点）。",
    "dns.none.literal": "URL 中直接写的是 IP 地址（{host}）：不需要 DNS 查询。",
    "dns.none.address": (
        "不知道 {server} 的主机名，而且在第 {before} 帧之前，本文件中没有任何 DNS 应答给出过这个地址："
        "客户端连接的是它已经知道的地址。"),
    "dns.none.address.window": (
        "不知道 {server} 的主机名：在第 {before} 帧之前、仍被记住的 DNS 应答中，没有一个给出过这个地址"
        "（分析器只记住最近 65,536 个应答地址对应的名字，更早的已被忘记）。客户端连接的是它已经知道的地址。"),
    "dns.none.earlier": (
        "没有对 {host} 的新 DNS 查询：客户端在 {age_s:.1f} 秒前的第 {frame} 帧（第 {fetch} 次访问）已解析过它"
        "（{addresses}），仍在 {ttl} 秒的 TTL 之内，应答还在缓存里。"),
    "dns.none.earlier_expired": (
        "连接之前没有对 {host} 的新 DNS 查询，尽管第 {frame} 帧（第 {fetch} 次访问）的应答已过去 {age_s:.1f} 秒，"
        "超过了 {ttl} 秒的 TTL：客户端自己的缓存保存名字的时间比 TTL 规定的更长（浏览器和 nscd 都会这样）。"),
    "dns.none.other_address": (
        "在第 {before} 帧之前，{client} 没有对 {host} 的 DNS 查询，但 {by} 在第 {frame} 帧"
        "查询过它（{addresses}）。那可能是这台主机的另一个地址（双栈主机常常用 IPv4 查询、再用 IPv6 连接）；"
        "抓包中没有哪条 ARP 或邻居发现消息表明这两个地址属于同一个 MAC 地址，所以时间线把它们分开处理。"),
    "dns.none.first": (
        "这份抓包里不可能有对 {host} 的 DNS 查询：文件就从这次访问开始（第 {before} 帧）。客户端或者早已知道"
        "地址 {server}（DNS 缓存、hosts 文件），或者在开始抓包之前就查过，或者这次抓包没有记录 DNS（例如只抓 "
        "TCP 80 端口的抓包过滤器会把它排除在外）。"),
    "dns.none.nodns": (
        "在第 {before} 帧之前，本文件中根本没有 DNS 报文（没有任何名字的查询或应答）：要么客户端早已知道地址 "
        "{server}（DNS 缓存、hosts 文件，或在开始抓包之前查询过），要么这次抓包没有记录 DNS（例如只抓 TCP 80 "
        "端口的抓包过滤器会把它排除在外）。"),
    "dns.none.filtered": (
        "在第 {before} 帧之前，本文件中根本没有 DNS 报文，而这次抓包用的过滤器是「{filter}」：如果它把 DNS "
        "排除在外，对 {host} 的查询就不会出现在这里。客户端要么早已知道地址 {server}，要么查询了这个名字，"
        "但这次抓包看不到。"),
    "dns.none.filtered.first": (
        "这份抓包里不可能有对 {host} 的 DNS 查询：文件就从这次访问开始（第 {before} 帧），而且抓包时用了过滤器"
        "「{filter}」。客户端或者早已知道地址 {server}，或者在开始抓包之前就查过，或者在抓包期间查过、但这个过滤器"
        "没有让 DNS 进入文件。"),
    "dns.none.filtered.display": (
        "在第 {before} 帧之前，显示过滤器「{filter}」放行的帧中根本没有 DNS 报文：时间线只看这些帧，过滤器"
        "排除掉的对 {host} 的查询不在考虑之内。去掉 -Y 再读这个文件，才能知道客户端是否查询过这个名字。"),
    "dns.none.cached": (
        "在第 {before} 帧之前，本文件中没有对 {host} 的 DNS 查询（任何类型、UDP 或 TCP、发往任何服务器都没有）："
        "客户端已经知道地址 {server}（DNS 缓存、hosts 文件，或在开始抓包之前查询过）。"),
    "dns.none.cached.window": (
        "在第 {before} 帧之前的 {hold_s:.0f} 秒内，没有对 {host} 的 DNS 查询（任何类型、UDP 或 TCP、发往任何服务器都没有；"
        "时间线只保留客户端这么长时间内的查询，而这个客户端在更早的时候也查询过名字）："
        "客户端已经知道地址 {server}（DNS 缓存、hosts 文件，或更早的查询）。"),
    "dns.none.cached.window.any": (
        "在第 {before} 帧之前的 {hold_s:.0f} 秒内，没有对 {host} 的 DNS 查询（任何类型、UDP 或 TCP、发往任何服务器都没有；"
        "时间线只保留各客户端这么长时间内查询过的名字，更早查询过的已经忘记）："
        "客户端已经知道地址 {server}（DNS 缓存、hosts 文件，或更早的查询）。"),
    "tcp.handshake.1": (
        "三次握手第 1/3 步：客户端从端口 {client_port} 向 {server_ep} 发送 SYN。它选定初始序号 "
        "ISN = {seq_raw}（相对序号 0）；TCP 选项：{options:opts}。"),
    "tcp.syn.seen_twice": (
        "第 {first} 帧的 SYN 在 {waited_ms:dur}后又出现了一次：重传定时器不会这么快触发（第一次 SYN 重传大约要等 1 秒），"
        "所以这是抓包把同一个报文看到了两次（例如在路由器两侧，或在两个接口上），而不是新的尝试。{evidence_text}"),
    "tcp.synack.seen_twice": (
        "第 {first} 帧的 SYN-ACK 在 {waited_ms:dur}后又出现了一次：这是抓包把同一个报文看到了两次，而不是重传"
        "（没有定时器会这么快触发）。{evidence_text}"),
    "tcp.handshake.3.twice": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = {ack_raw}），连接建立。TCP 建连耗时（首个 SYN 到这个 ACK）为 "
        "{connect_ms:dur}；SYN 被看到两次，但只发送了一次。"),
    "tcp.seen_twice": (
        "同一报文出现两次（{count} 个报文：第 {copies_text} 帧重复了第 {firsts_text} 帧，每个都在第一份出现后 "
        "{max_ms:dur}之内再次出现，而且没有任何东西要求重发）："
        "TCP 的定时器不会这么快触发（Linux 至少等 200 毫秒，尾部丢失探测也要 10 毫秒），之前也没有重复 ACK，所以这是"
        "抓包把同一个报文看到了两次（例如在路由器两侧，或在两个接口上），而不是重传。{evidence_text}"),
    "tcp.conflict": (
        "第 {frame} 帧为{sender:role}数据流中与第 {earlier} 帧相同的位置（从相对序号 {rel_seq} 起）带来了不同的字节：同一段"
        "字节有两个版本。TCP 重发时发送的是同样的字节，所以两者之一并非来自{sender:role}的 TCP。{ttl_text}路径上的某台主机"
        "注入报文、抢在真正的应答之前到达（例如「量子注入」攻击）就是这个样子。{receiver:role}保留先收到的字节（第 {earlier} 帧），"
        "丢弃另一个版本：它的应用程序读到的是第一个版本。"),
    "tcp.seen_twice.late": (
        "同一报文出现两次（{count} 个报文：第 {copies_text} 帧重复了第 {firsts_text} 帧，最晚在第一份出现后 "
        "{max_ms:dur}）：每个副本都带着第一份的 IPv4 标识，而重新发送的报文会得到新的标识，所以这是抓包把同一些报文"
        "看到了两次（镜像端口或分光器把其中一些晚些才转出来），而不是重传。{evidence_text}"),
    "tcp.seen_twice.again": (
        "又一次看到同一报文两次（{count} 个报文：第 {copies_text} 帧重复了第 {firsts_text} 帧，相隔不到 "
        "{max_ms:dur}）：和上面一样，是抓包产生的副本，不是重传。"),
    "tcp.syn.retransmission": (
        "等了 {waited_ms:dur}仍没有 SYN-ACK：客户端的重传定时器超时，它再次发送 SYN（第 {attempt} 次尝试，"
        "ISN 不变，距第 {first} 帧的首个 SYN 已过去 {since_ms:dur}）。{doubling}"),
    "tcp.syn.missing": "抓包中没有客户端的 SYN（抓包刚好在它之后开始），但有服务器的 SYN-ACK。",
    "tcp.syn.unseen": ("文件中没有客户端的 SYN，但服务器的 SYN-ACK（第 {synack_frame} 帧）应答了它，可见它确实发出过："
                       "它经过抓包点时没有被记录下来（抓包丢了它，或它走了另一条路径）。"),
    "tcp.refused": (
        "服务器拒绝了连接：它在 {rtt_ms:dur}后用 RST 回应了 SYN。{server} 的 {server_port} 端口上没有进程在监听"
        "（由操作系统代为回应这个关闭的端口）；客户端的 connect() 立即以「连接被拒绝」失败，不会重试。"),
    "tcp.icmp.unreachable": (
        "{sender} 在 SYN（第 {syn} 帧）发出 {rtt_ms:dur}后回了一个引用它的 ICMP 差错报文（{icmp:icmp}）：没有通往 "
        "{server} 的路由（途中的路由器或客户端自己的协议栈找不到投递的路径）。这和悄悄丢失的 SYN 不同，它是一个"
        "回答。{then_text}"),
    "tcp.icmp.port": (
        "{sender} 在 SYN（第 {syn} 帧）发出 {rtt_ms:dur}后回了一个引用它的 ICMP 差错报文（{icmp:icmp}）：{server} 的 "
        "{server_port} 端口不接受 TCP 连接，这台主机（或它前面的防火墙）用 ICMP 而不是通常的 TCP RST 告知了这一点。"
        "{then_text}"),
    "tcp.icmp.prohibited": (
        "{sender} 在 SYN（第 {syn} 帧）发出 {rtt_ms:dur}后回了一个引用它的 ICMP 差错报文（{icmp:icmp}）：通往 {server} "
        "的路上有防火墙（包过滤）拒绝到 {server_port} 端口的连接，并明确告知，而不是悄悄丢弃 SYN。{then_text}"),
    "tcp.icmp.other": (
        "{sender} 在 SYN（第 {syn} 帧）发出 {rtt_ms:dur}后回了一个引用它的 ICMP 差错报文（{icmp:icmp}）：SYN 无法送达 "
        "{server}。{then_text}"),
    "tcp.unanswered.gave_up": (
        "{attempts} 个 SYN（第 {frames:frames} 帧）在 {total_ms:dur}内都没有得到应答，此后抓包又持续了 "
        "{waited_ms:dur}，也不再有新的 SYN：客户端放弃了（连接超时）。{server} 没有任何回应：主机宕机或不可达，"
        "或者防火墙悄悄丢弃了 SYN。"),
    "tcp.unanswered.capture_end": (
        "{attempts} 个 SYN（第 {frames:frames} 帧）在 {total_ms:dur}内都没有得到应答；抓包在最后一个 SYN 之后 "
        "{waited_ms:dur}结束，仍然没有 SYN-ACK。{server} 宕机或不可达，或者防火墙悄悄丢弃了 SYN。"),
    "tcp.unanswered.capture_end.one": (
        "这个 SYN（第 {frames:frames} 帧）之后抓包又持续了 {waited_ms:dur}，其间没有得到应答：时间太短，无法分辨是 SYN 丢失"
        "（第一次重传大约要 1 秒后才会发出），还是 {server} 宕机或不可达、防火墙悄悄丢弃了它，或者客户端放弃了这个连接。"),
    "tcp.handshake.2": (
        "第 2/3 步：服务器在 SYN 发出 {rtt_ms:dur}后回复 SYN-ACK。它选定自己的 ISN = {seq_raw}（相对序号 0），"
        "并确认客户端的 SYN：ack = 客户端 ISN + 1 = {ack_raw}（相对 1）。它的 TCP 选项：{options:opts}。"),
    "tcp.handshake.1.brief": (
        "连接 {stream}：客户端又向 {server_ep} 建立一个连接：从端口 {client_port} 发送 SYN（ISN {seq_raw}），"
        "过程同连接 {first_stream}。"),
    "http.redirect.followed": (
        "客户端跟随第 {redirect_frame} 帧的重定向（{status}，指向 {location}）：连接 {stream} 通往 {server_ep}，"
        "即该 URL 的端口，并指明主机 {host}（{host_where}）。"),
    "tcp.handshake.2.brief": "连接 {stream}：服务器在 SYN 发出 {rtt_ms:dur}后回复 SYN-ACK（ISN {seq_raw}）。",
    "tcp.handshake.3.brief": "连接 {stream}：客户端的 ACK 完成握手；TCP 建连耗时 {connect_ms:dur}。",
    "tcp.kept": "连接 {stream} 保持打开（keep-alive）：它上面的下一个请求（第 {next_frame} 帧的 {next_uri}）属于下一次访问。",
    "tcp.handshake.2.nosyn": (
        "第 2/3 步：服务器回复 SYN-ACK。它选定自己的 ISN = {seq_raw}（相对序号 0），并确认客户端的 SYN："
        "ack = 客户端 ISN + 1 = {ack_raw}。它的 TCP 选项：{options:opts}。"),
    "tcp.synack.unseen": (
        "抓包中没有服务器的 SYN-ACK，但客户端已经对它作了应答：在它的 SYN（第 {syn} 帧）之后 {after_ms:dur}，"
        "它发出 ACK（第 {ack_frame} 帧）并继续使用这个连接，而只有收到 SYN-ACK 之后它才会这样做。"
        "那个 SYN-ACK 经过抓包点时没有被抓到（被抓包丢弃，或走了别的路径）。"),
    "tcp.synack.unseen.one_sided": (
        "抓包中没有服务器的 SYN-ACK，但客户端已经对它作了应答：在它的 SYN（第 {syn} 帧）之后 {after_ms:dur}，"
        "它发出 ACK（第 {ack_frame} 帧）并继续使用这个连接，而只有收到 SYN-ACK 之后它才会这样做。本文件中这个连接上"
        "根本没有来自 {server} 的帧：抓包只看到了客户端这一侧（服务器的报文走了别的路径，或被过滤掉），"
        "所以看不出服务器发了什么。"),
    "tcp.synack.echo_earlier": (
        "它的时间戳回显（TSecr {tsecr}）是第 {syn_frame} 帧那个 SYN 的 TSval，而不是紧挨在它前面的 SYN"
        "（第 {last_frame} 帧，TSval {last_tsval}）的：服务器早已收到那个较早的 SYN 并当即作了应答，只是那个最早的 "
        "SYN-ACK 没有到达抓包点。丢失的是服务器的 SYN-ACK，而不是客户端的 SYN。"),
    "tcp.synack.retransmission": (
        "服务器再次发送 SYN-ACK（距第 {first} 帧的那个已过去 {waited_ms:dur}）：它没有及时收到客户端的 ACK，"
        "或者收到了两次客户端的 SYN（这里客户端发过两个）。{answer_text}"),
    "tcp.handshake.3": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = 服务器 ISN + 1 = {ack_raw}，相对 1），连接建立。"
        "TCP 建连耗时（首个 SYN 到这个 ACK）为 {connect_ms:dur}，这同时也是初始往返时间（iRTT，SYN 到 ACK）。"),
    "tcp.handshake.3.same_time": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = 服务器 ISN + 1 = {ack_raw}，"
        "相对 1），连接建立。TCP 建连耗时（首个 SYN 到这个 ACK）为 {connect_ms:dur}："
        "SYN 和这个 ACK 的时间戳相同（抓包时钟的精度分辨不出这次往返），所以这里测不出初始往返时间（iRTT）；"
        "与 Wireshark 的做法一样，iRTT 改取之后第一个时间戳与 SYN 不同的 ACK（第 {irtt_frame} 帧）："
        "{irtt_ms:dur}。"),
    "tcp.handshake.3.same_time.none": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = 服务器 ISN + 1 = {ack_raw}，"
        "相对 1），连接建立。TCP 建连耗时（首个 SYN 到这个 ACK）为 {connect_ms:dur}："
        "SYN 和这个 ACK 的时间戳相同（抓包时钟的精度分辨不出这次往返），所以这里和之后都测不出初始往返时间（iRTT）："
        "之后再没有时间戳与 SYN 不同的 ACK。"),
    "tcp.handshake.3.retried.same_time": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = {ack_raw}），连接建立。TCP 建连耗时（首个 SYN 到这个 ACK）"
        "为 {connect_ms:dur}，全部花在等待重传 SYN 上（共尝试 {attempts} 次）：这个 ACK 与成功那次 SYN 的时间戳相同"
        "（抓包时钟的精度分辨不出这次往返），所以这里看不到那次 SYN 的往返时间；与 Wireshark 的做法一样，"
        "初始往返时间（iRTT）改取之后第一个时间戳与 SYN 不同的 ACK（第 {irtt_frame} 帧）：{irtt_ms:dur}。"),
    "tcp.handshake.3.retried.same_time.none": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = {ack_raw}），连接建立。TCP 建连耗时（首个 SYN 到这个 ACK）"
        "为 {connect_ms:dur}，全部花在等待重传 SYN 上（共尝试 {attempts} 次）：这个 ACK 与成功那次 SYN 的时间戳相同"
        "（抓包时钟的精度分辨不出这次往返），所以这里和之后都测不出初始往返时间（iRTT）："
        "之后再没有时间戳与 SYN 不同的 ACK。"),
    "tcp.handshake.3.retried": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = {ack_raw}），连接建立。TCP 建连耗时（首个 SYN 到这个 ACK）"
        "为 {connect_ms:dur} = 等待重传 SYN 的 {waits_ms:dur}（共尝试 {attempts} 次）+ 成功那次 SYN 的往返时间 "
        "{irtt_ms:dur}（初始往返时间 iRTT）。"),
    "tcp.handshake.2.before": (
        "第 2/3 步：服务器回复 SYN-ACK。它选定自己的 ISN = {seq_raw}（相对序号 0），并确认客户端的 SYN："
        "ack = 客户端 ISN + 1 = {ack_raw}（相对 1）。它的 TCP 选项：{options:opts}。它的时间戳比它所应答的 SYN"
        "（第 {syn_frame} 帧）还早 {before_ms:dur}：抓包的时间顺序是乱的（由两个抓包点的帧合并而成，或写入时顺序错乱），"
        "所以这次握手测不出往返时间。"),
    "tcp.handshake.3.reordered": (
        "第 3/3 步：客户端确认服务器的 SYN（ack = 服务器 ISN + 1 = {ack_raw}，相对 1），连接建立。"
        "TCP 建连耗时（首个 SYN 到这个 ACK）为 {connect_ms:dur}。Wireshark 的初始往返时间（iRTT，SYN 到 ACK）"
        "也是 {irtt_ms:dur}，但这里它并不是往返时间：SYN-ACK 的时间戳比 SYN 还早。"),
    "tcp.handshake.reordered": (
        "所以往返时间改从数据上测量：约 {rtt_ms:dur}。客户端的数据（第 {c_data} 帧）在 {c_ms:dur}后被确认"
        "（第 {c_ack} 帧），{s_text}。这才是网络的往返时间，而不是握手测得的 {irtt_ms:dur}。"),
    "tcp.handshake.karn": (
        "这 {irtt_ms:dur}并不是网络的往返时间。跨越重传测得的时间是有歧义的（Karn 规则：应答可能属于任何一份副本）；"
        "而这条连接后来的数据往返只用了约 {rtt_ms:dur}：客户端的数据（第 {c_data} 帧）在 {c_ms:dur}后被确认"
        "（第 {c_ack} 帧），{s_text}。所以 SYN-ACK（第 {synack} 帧）比一个往返晚到了约 {late_ms:dur}：要么服务器"
        "（或路径上的某个设备）应答 SYN 很慢，要么更早的一个 SYN-ACK 在到达抓包点之前丢失了、这是它的重传；"
        "这份抓包无法分辨是哪一种。"),
    "tcp.handshake.3.data": (
        "第 3/3 步：客户端的第一个数据报文段同时确认了服务器的 SYN（ack = 服务器 ISN + 1 = {ack_raw}，相对 1），"
        "连接建立。TCP 建连耗时 {connect_ms:dur}。"),
    "tcp.handshake.missing": (
        "连接 {stream}（端口 {client_port} -> {server_ep}）在开始抓包时已经建立：本文件中没有它的 "
        "SYN（它的第一帧是第 {first} 帧）。"),
    "tcp.reuse": (
        "该请求使用连接 {stream}：它在之前（第 {fetch} 次访问）建立并保持打开（持久连接，此前已承载 "
        "{requests} 个请求），不需要新的握手。"),
    "tcp.reuse.same": "该请求使用已经打开的连接 {stream}（此前已承载 {requests} 个请求），不需要新的握手。",
    "tcp.later": "连接 {stream} 在第 {fetch} 次访问之后保持打开，但没有再承载请求：下面是它的结束过程。",
    "tcp.loss": (
        "丢失了一个报文段：{sender:role}的第 {gap_frame} 帧携带的是从相对序号 {gap_seq} 开始的数据，但序号 "
        "{lost_from}–{lost_to}（{lost_bytes:bytes}）从未经过抓包点（Wireshark 称为「前一个报文段未捕获」）。{recovery}"),
    "tcp.loss.missed": (
        "是抓包漏掉了：{sender:role}的第 {gap_frame} 帧携带的是从相对序号 {gap_seq} 开始的数据，但序号 "
        "{lost_from}–{lost_to}（{lost_bytes:bytes}）从未经过抓包点（Wireshark 称为「前一个报文段未捕获」），之后也没有"
        "任何帧携带它们，而{receiver:role}在第 {acked_frame} 帧的 ACK（相对确认号 {acked_ack}）确认了它们：{receiver:role}收到了这些字节，所以是抓包点漏掉了送达的那一份（之前是否有一份在途中丢失，抓包无法判断）。"
        "{recovery}"),
    "tcp.loss.fin": (
        "丢失了一个 FIN：{sender:role}的第 {gap_frame} 帧的相对序号是 {gap_seq}，比它的 FIN（序号 {lost_from}）多 1，而那个 FIN "
        "从未经过抓包点（Wireshark 称为「前一个报文段未捕获」）。{sender:role}在第 {fill_frame} 帧重发了 FIN，距那个报文段 "
        "{cost_ms:dur}。"),
    "tcp.retransmission": "重传：{sender:role}{what}（相对序号 {rel_seq}）{orig}。{cause}",
    "tcp.retransmission.fast": (
        "快速重传：收到 {dup_acks} 个重复 ACK 之后，{sender:role}立即重发 {length:bytes}（相对序号 {rel_seq}），"
        "而不等重传定时器超时。"),
    "tcp.retransmission.fast.more": (
        "快速重传：收到 {dup_acks} 个重复 ACK 之后，{sender:role}立即重发 {length:bytes}（相对序号 {rel_seq}），"
        "而不等重传定时器超时；随后在同一轮中又重发了 {more} 个报文段（{more_bytes:bytes}，第 {more_frames:frames} 帧）："
        "共重发 {all_bytes:bytes}。"),
    "tcp.retransmission.spurious": (
        "伪重传：{sender:role}重发了对方早已确认过的数据（{count} 个报文段）；它的定时器超时过早，或者有 ACK 丢失。"
        "这浪费带宽，但不耽误时间。{after_text}"),
    "tcp.zero_window": (
        "零窗口：{receiver:role}通告的接收窗口为 0：它的缓冲区已满（应用程序读得不够快），"
        "{sender:role}必须停止发送。{probes_text}{resumed}"),
    "tcp.dup_ack": (
        "{sender:role}发出 {count} 个重复 ACK：确认号一再相同，告诉对方后面的报文段已经到达，而前面有一个缺失了。"),
    "tcp.out_of_order": (
        "乱序：{sender:role}的报文段在更靠后的报文段之后才到达（{count} 个报文段）；网络调换了它们的顺序，"
        "或者这是对丢失报文段的快速重传。"),
    "tcp.acked_unseen": (
        "{sender:role}确认了本次抓包从未见过的数据：这些数据是在开始抓包之前发送的，或被抓包漏掉了"
        "（并非在网络上丢失：接收方已经收到）。"),
    "tcp.forwarded": (
        "客户端 {client} 很可能并不是发起这次访问的那台机器：它就在这条链路上（第 {arp_frame} 帧的 ARP 请求是它自己发的；"
        "ARP 不会穿过路由器），但它在这里的报文 TTL 为 {ttl}（第 {frame} 帧），比发送方的初始值 {start} 少 1：这些报文是经它"
        "转发的，离出发点已经过了一跳路由器。用自己的地址把别人的报文发出去的路由器就是 NAT（地址伪装）："
        "发起访问的机器在 {client} 后面的另一个网络里，它的地址不在本文件中（把路由器另一侧的抓包和本文件一起读，"
        "就能同时看到两边）。"),
    "tcp.acked_unseen.bytes": (
        "{sender:role}确认了本次抓包中没有任何帧携带过的数据：它的 ACK（相对确认号 {ack}）覆盖了{receiver:role}数据的"
        "序号 {unseen_from}–{unseen_to}{more_text}（{unseen_bytes:bytes}）{hole_text}。{sender:role}收到了这些字节，"
        "抓包点却没有看到它们的任何一份：它漏掉了送达的那一份（抓包时丢弃了，或者那一份走了抓包看不到的路径）。"),
    "tcp.stall.nagle": (
        "停顿了 {gap_ms:dur}：{sender:role}先发了一个小报文段（第 {first} 帧，{first_len:bytes}），下一个"
        "（第 {second} 帧）一直压着，直到前一个被确认：Nagle 算法只允许一个未被确认的小报文段在途。"
        "{receiver:role}把 ACK（第 {ack_frame} 帧）推迟了 {ack_ms:dur}才发（延迟确认：它等着有数据时把 ACK "
        "捎带出去）。Nagle 算法加上延迟确认，就是经典的 40 毫秒停顿；发送方设置 TCP_NODELAY 即可避免。"),
    "tcp.loss.tail": (
        "{sender:role}第 {frame} 帧的报文段（{size:bytes}）之前停顿了 {gap_ms:dur}，而{receiver:role}早已确认了它之前的"
        "全部数据（第 {ack_frame} 帧，早了 {waited_ms:dur}），一个往返只需 {rtt_ms:dur}：没有什么挡着{sender:role}发送。"
        "这个停顿与它的重传定时器相符（Linux 至少等 {rto_ms:.0f} 毫秒）：很可能这些字节的第一份在到达抓包点之前丢失了，"
        "它是那一批的最后一个报文段，后面没有报文段、也就没有重复 ACK 能显出这次丢失（尾部丢失），这里看到的是定时器"
        "重发的那一份。抓包无法把这种情况和{sender:role}的应用程序恰好晚这么久才写出这些字节区分开。"),
    "tcp.teardown4.1": (
        "连接释放（四次挥手）第 1/4 步：{closer:role}没有数据要发送了，发送 FIN（seq = {seq}），进入 FIN_WAIT_1。"),
    "tcp.teardown.late.fin": (
        "{closer:role}的 FIN（第 {fin_frame} 帧）过了 {wait_ms:dur}才得到确认（第 {ack_frame} 帧）{rtt_text}：连接释放一直在等 FIN "
        "被重发（第 {fin_where} 帧）；ACK 在最后一份副本（第 {last_frame} 帧）之后 {last_ms:dur}到来。"),
    "tcp.teardown.late": (
        "{closer:role}的 FIN（第 {fin_frame} 帧）过了 {wait_ms:dur}才得到确认（第 {ack_frame} 帧）{rtt_text}：ACK 确认的是它所指"
        "序号之前的每一个字节，所以只有这些字节全部到达之后 FIN 才能被确认，而{closer:role}不得不重发其中一些：{what_text}。"
        "ACK 在最后一份副本（第 {last_frame} 帧）之后 {last_ms:dur}到来。"),
    "tcp.teardown4.2": (
        "第 2/4 步：{other:role}确认该 FIN（ack = {ack}，即 FIN 的序号加 1），进入 CLOSE_WAIT；{closer:role}进入 "
        "FIN_WAIT_2（仍可接收数据）。"),
    "tcp.teardown.half_data": (
        "在{closer:role}的 FIN 之后，{other:role}仍然发送了 {nbytes:bytes}（第 {data_frames:frames} 帧）："
        "FIN 只关闭一个方向（半关闭），尚未关闭的一方可以继续发送，处于 FIN_WAIT_2 的{closer:role}仍会接收并确认。"),
    "tcp.teardown4.2.fin_lost": (
        "第 2/4 步：{other:role}确认该 FIN（ack = {ack}，即 FIN 的序号加 1）。这里它自己的序号是 {seq}，"
        "比它自己的 FIN（seq = {fin_seq}）多 1：它已经发出了这个 FIN，但这个 FIN 在到达抓包点之前就丢失了，从未经过抓包点。"
        "所以{other:role}已经过了 CLOSE_WAIT，正在等待对自己 FIN 的确认；{closer:role}处于 FIN_WAIT_2"
        "（仍可接收数据），等待那个 FIN 重新到来。"),
    "tcp.teardown4.3": "第 3/4 步：{other:role}也关闭自己的方向：发送 FIN（seq = {seq}），进入 LAST_ACK。",
    "tcp.teardown4.3.again": (
        "第 3/4 步：{other:role}的 FIN（seq = {seq}）终于经过了抓包点：它是第 2 步之前发出、后来丢失的那个 FIN "
        "的副本；{other:role}从发出第一个 FIN 起就一直在等待它的确认。"),
    "tcp.teardown4.4": (
        "第 4/4 步：{closer:role}确认{other:role}的 FIN（ack = {ack}）；{other:role}进入 CLOSED，"
        "{closer:role}进入 TIME_WAIT。"),
    "tcp.teardown3.1": "连接释放第 1/3 步：{closer:role}没有数据要发送了，发送 FIN（seq = {seq}），进入 FIN_WAIT_1。",
    "tcp.teardown3.2": (
        "第 2/3 步：{other:role}确认该 FIN（ack = {ack}），并在同一个报文段中发送自己的 FIN（FIN+ACK，"
        "seq = {seq}）：四次挥手合并成了三次。"),
    "tcp.teardown3.3": (
        "第 3/3 步：{closer:role}确认{other:role}的 FIN（ack = {ack}）；{other:role}进入 CLOSED，"
        "{closer:role}进入 TIME_WAIT。"),
    "tcp.teardown.fin": "{closer:role}发送 FIN（seq = {seq}）：它没有数据要发送了。",
    "tcp.teardown.fin2": "{other:role}也发送 FIN（seq = {seq}）。",
    "tcp.teardown.ack": "{sender:role}确认{peer:role}的 FIN（ack = {ack}）。",
    "tcp.teardown.simultaneous": (
        "双方都在收到对方的 FIN 之前发出了自己的 FIN（同时关闭）：双方都经过 CLOSING 状态，最后都进入 TIME_WAIT。"),
    "tcp.teardown.simultaneous.time_wait": (
        "双方都在收到对方的 FIN 之前发出了自己的 FIN（同时关闭）：双方都经过 CLOSING 状态，各自在自己的 FIN 得到确认后"
        "进入 TIME_WAIT（在抓包点看来，从第 {tw} 帧起双方都已如此）。双方都停留 2MSL（Linux 上为 60 秒）：这个端口对"
        "不能马上再用。"),
    "tcp.keepalive": (
        "{sender:role}的 TCP 发出保活探测（第 {probes_text} 帧{idle_text}）：一个不带新数据、序号比下一个序号小 1 的"
        "报文段，用来询问{receiver:role}是否还在（SO_KEEPALIVE 的空闲计时器）。{answer_text}"),
    "tcp.window_full": (
        "{sender:role}填满了{receiver:role}的接收窗口（第 {frames_text} 帧；Wireshark：window full）：它未被确认的"
        "字节达到了{receiver:role}最近通告的窗口，在 ACK 到来之前什么也不能再发。{wait_text}"),
    "tcp.teardown.fin_again": (
        "{sender:role}在确认{peer:role}的 FIN（ack = {ack}）的报文段里再次发送了自己的 FIN（距第 {first} 帧的第一个 "
        "FIN {gap_ms:dur}）。Wireshark 把它标为重传，但它来得远比任何重传超时都早（Linux 上至少 200 毫秒）："
        "两个 FIN 交错而过时，{sender:role}的 FIN 还没有得到确认，于是它的协议栈随 ACK 再发一次：这并不说明有丢包。"),
    "tcp.teardown.dup_ack": (
        "在{peer:role}的 ACK（第 {after} 帧）之后，{sender:role}又一次确认了{peer:role}的 FIN（ack = {ack}，与第 "
        "{same} 帧相同）。Wireshark 把它标为重复 ACK，但这里什么也没缺：两个 FIN 都已得到确认，这只是正在关闭的"
        "{sender:role}对关闭后才到达的报文段的回应。"),
    "tcp.teardown.half": "只有{closer:role}关闭了自己的方向（半关闭）{half_note}；抓包中没有{other:role}的 FIN。",
    "tcp.teardown.unacked": "抓包中最后一个 FIN 没有被确认：无法知道连接的最终状态。",
    "tcp.time_wait": (
        "{side:role}发送了关闭过程的最后一个 ACK，并在 TIME_WAIT 状态停留 2MSL（Linux 上为 60 秒）：这样，"
        "若最后一个 ACK 丢失，还可以重发；这条连接迟到的报文段也会在该端口对被再次使用之前消失。"),
    "tcp.reset": (
        "{by:role}发送 RST（当时处于 {state} 状态）{after_note}：连接立即中止，不经过 FIN 交换；"
        "未发送或未读取的数据被丢弃，双方都不进入 TIME_WAIT。"),
    "tcp.reset.after_fin": (
        "在 FIN 交换开始之后，{by:role}发送了 RST：关闭过程的剩余部分被跳过（客户端在还有未读数据时关闭，"
        "或服务器中止残留连接时常见）；双方都不进入 TIME_WAIT。"),
    "tcp.snaplen": (
        "抓包只保存了部分帧的开头（快照长度 snaplen）：连接 {stream} 上客户端的 {c_bytes:bytes}和服务器的 {s_bytes:bytes}"
        " TCP 载荷不在文件里（第 {first} 到 {last} 帧）。它们的长度可以从 IP 首部得知，但内容无从知晓{no_http_text}。"),
    "tcp.reset.again": (
        "{by:role}再次发送 RST（第 {frames:frames} 帧）：第 {first_rst} 帧的重置之后，它这一端已经没有这条连接，"
        "所以对仍然到达的报文一律以 RST 回答。"),
    "tcp.open": "连接 {stream} 在抓包结束时仍然打开（第 {last} 帧之后没有 FIN 或 RST）：它被保持着，以便承载更多请求。",
    "tcp.open.half": (
        "连接 {stream} 的握手在这份抓包里没有完成：SYN-ACK（第 {last} 帧）之后什么都没有，既没有客户端的 ACK，也没有 RST。"
        "它们可能未经过抓包点，也可能抓包先结束了；连接是否建立，抓包无法判断。"),
    "tcp.open.plain": "连接 {stream} 在抓包结束时仍然打开：第 {last} 帧之后没有 FIN 或 RST。",
    "tcp.open.later": "连接 {stream} 在第 {last} 帧之后保持打开（keep-alive）；它之后的情况在下一次使用它的访问中，或在它结束处报告。",
    "http.request": (
        "HTTP 请求：{method} {uri}（{version}，Host: {host}），在连接 {stream} 上，{size:bytes}。{what_text}"),
    "http.request.resource": (
        "页面还需要其他资源：{method} {uri}（{version}，Host: {host}），在连接 {stream} 上，{size:bytes}"
        "（{why_text}）。"),
    "http.request.side": "附带请求：{method} {uri}，在连接 {stream} 上，{size:bytes}。它不属于页面本身：{side_text}",
    "http.request.redirected": (
        "请求第 {redirect_frame} 帧的重定向（{redirect_status}）所指的 URL：{method} {uri}（{version}，Host: {host}），"
        "在连接 {stream} 上，{size:bytes}：仍是同一次访问，只是换了新地址。"),
    "http.response": (
        "HTTP 响应：{status}{reason:phrase}，{content_type_text}，正文 {size:bytes}{encoding_note}。"
        "首字节时间（TTFB）为请求发出后 {ttfb_ms:dur}；{transfer_text}。"),
    "http.response.interim.continue": (
        "临时响应：{status}{reason:phrase}，在请求头之后 {wait_ms:dur}。客户端只发出了请求头（带 Expect: 100-continue），"
        "先扣住正文（{body:bytes}），等服务器同意；收到这个应答 {body_ms:dur}后它才发出正文（第 {body_frame} 帧）。"
        "最终应答随后才来（服务器若始终不发 100，这样的客户端就得等待：curl 等 1 秒后照样发送正文）。"),
    "http.request.expect_wait": (
        "客户端等了 {waited_ms:dur}才发出正文（第 {body_frame} 帧，共 {body:bytes}）：它先单独发出请求头（第 {head_frame} 帧），"
        "带 Expect: 100-continue，请服务器先回 100 Continue。这个应答始终没有来，客户端只好等自己的计时器到期才发送正文"
        "（curl 等 1 秒）。服务器若不理会 Expect 头，每次这样的上传都要多等这么久；客户端可以去掉这个头（curl -H 'Expect:'）。"),
    "http.response.interim.hints": (
        "临时响应：{status}{reason:phrase}，在请求头之后 {wait_ms:dur}，带 {links} 个 Link 头：服务器先列出页面将要用到的资源，"
        "客户端不必等最终应答就可以开始获取它们。"),
    "http.response.interim": (
        "临时响应：{status}{reason:phrase}，在请求头之后 {wait_ms:dur}：只是告知信息，最终应答随后才来。"),
    "http.response.not_modified": (
        "HTTP 响应：304 Not Modified：客户端缓存中的副本仍然有效，因此不发送正文。首字节时间为请求发出后 "
        "{ttfb_ms:dur}。"),
    "http.response.redirect": (
        "HTTP 响应：{status}{reason:phrase}：重定向到 {location}。首字节时间为请求发出后 {ttfb_ms:dur}。"),
    "http.response.error": (
        "HTTP 响应：{status}{reason:phrase}（错误），正文 {size:bytes}{encoding_note}。首字节时间为请求发出后 {ttfb_ms:dur}。"),
    "quic.initial": (
        "客户端通过 UDP（源端口 {client_port}）向 {server_ep} 发起一个 QUIC 连接："
        "它的 Initial 数据包（QUIC 版本 {version}，{size:bytes}：客户端会把它填充到至少 1,200 字节）携带 TLS 1.3 的 ClientHello。"
        "QUIC 是 HTTP/3 的传输层协议：它在一次往返中同时完成 TCP 握手和 TLS 握手的工作，"
        "并且几乎所有内容都加密：没有这次会话的密钥（含其密钥的密钥日志，--keylog）时，只能读出其数据包的明文头部。"),
    "quic.initial.hello": (
        "客户端通过 UDP（源端口 {client_port}）向 {server_ep} 发起一个 QUIC 连接："
        "它的 Initial 数据包（QUIC 版本 {version}，{size:bytes}：客户端会把它填充到至少 1,200 字节）携带 ClientHello，"
        "开始 TLS 1.3 握手；ClientHello 写明了要访问的站点（SNI = {sni}），"
        "并列出客户端可用的应用层协议（ALPN）：{alpn}。Initial 数据包所用的密钥任何人都能从数据包本身推导出来，"
        "所以旁观者能像读 TCP 上的 ClientHello 一样读出这些内容。QUIC 是 HTTP/3 的传输层协议："
        "它在一次往返中同时完成 TCP 握手和 TLS 握手的工作，其余内容全部加密：没有这次会话的密钥（含其密钥的密钥日志，--keylog）时，只能读出其数据包的明文头部和这个 ClientHello。"),
    "quic.initial.keys": (
        "客户端通过 UDP（源端口 {client_port}）向 {server_ep} 发起一个 QUIC 连接："
        "它的 Initial 数据包（QUIC 版本 {version}，{size:bytes}：客户端会把它填充到至少 1,200 字节）携带 TLS 1.3 的 ClientHello。"
        "QUIC 是 HTTP/3 的传输层协议：它在一次往返中同时完成 TCP 握手和 TLS 握手的工作，"
        "并且几乎所有内容都加密；这里密钥日志解开了其余内容，下面的步骤讲述其中承载了什么。"),
    "quic.initial.hello.keys": (
        "客户端通过 UDP（源端口 {client_port}）向 {server_ep} 发起一个 QUIC 连接："
        "它的 Initial 数据包（QUIC 版本 {version}，{size:bytes}：客户端会把它填充到至少 1,200 字节）携带 ClientHello，"
        "开始 TLS 1.3 握手；ClientHello 写明了要访问的站点（SNI = {sni}），"
        "并列出客户端可用的应用层协议（ALPN）：{alpn}。Initial 数据包所用的密钥任何人都能从数据包本身推导出来，"
        "所以旁观者能像读 TCP 上的 ClientHello 一样读出这些内容。QUIC 是 HTTP/3 的传输层协议："
        "它在一次往返中同时完成 TCP 握手和 TLS 握手的工作，其余内容全部加密；这里密钥日志解开了其余内容，下面的步骤讲述其中承载了什么。"),
    "quic.retry": (
        "服务器在客户端的 Initial 之后 {rtt_ms:dur}回应的是 Retry，而不是握手：在为这个连接花费资源之前，"
        "它要求客户端证明自己确实能在这个地址收到数据包（地址验证，RFC 9000 8.1）。Retry 带有一个令牌和一个新的"
        "连接 ID；客户端带着两者重新发送 Initial（第 {retried_frame} 帧，{resent_ms:dur}之后），并用由新 ID "
        "派生的密钥加密。这会在握手之前多花一个往返；服务器在负载高或遇到伪造地址时会这样做。"),
    "quic.retry.unanswered": (
        "服务器在客户端的 Initial 之后 {rtt_ms:dur}回应的是 Retry，而不是握手：它要求客户端带着 Retry 的令牌"
        "重新发送 Initial，以证明自己确实能在这个地址收到数据包（地址验证，RFC 9000 8.1）。抓包中没有这样的 "
        "Initial：客户端放弃了，或者发到了抓包看不到的地方。"),
    "quic.server": (
        "服务器在客户端的 Initial 之后 {rtt_ms:dur}作出回应：它最先发出的几个数据包携带 ServerHello，"
        "以及加密的其余握手消息（包括服务器的证书）。"),
    "quic.server.after_retry": (
        "服务器在客户端带着令牌的 Initial 之后 {rtt_ms:dur}作出回应：它最先发出的几个数据包携带 ServerHello，"
        "以及加密的其余握手消息（包括服务器的证书）。"),
    "quic.unanswered": (
        "客户端的 {count:n:Initial packet} 个 Initial 数据包没有得到回应（从第一个算起，"
        "抓包又持续了 {waited_ms:dur}）：{server_ep} 没有通过 UDP 发回任何东西。"
        "如果网络屏蔽了发往 {port} 端口的 UDP，看到的就是这样；这时浏览器会改用基于 TCP 的 HTTPS。"),
    "quic.done": (
        "客户端的第一个 1-RTT 数据包（短头部），比它的 Initial 晚 {done_ms:dur}："
        "客户端这一方的握手已经完成，此后的内容都用这次会话的密钥加密。"),
    "quic.data": (
        "加密的 QUIC：到第 {last} 帧（Initial 之后 {span_ms:dur}）为止，"
        "客户端共发出 {c_packets:n:datagram} 个数据报（{c_bytes:bytes}），"
        "服务器共发出 {s_packets:n:datagram} 个数据报（{s_bytes:bytes}）。"
        "HTTP/3 的请求和响应就在其中，但没有这次会话的密钥（客户端在设置了 SSLKEYLOGFILE 时写下的密钥日志，用 --keylog 提供）"
        "就无法解开它们，所以既无法讲述这些请求和响应，"
        "也无法说明连接是怎样结束的（加密的 CONNECTION_CLOSE，还是空闲超时）。"),
    "quic.data.keys": (
        "用密钥日志解密的 QUIC：到第 {last} 帧（Initial 之后 {span_ms:dur}）为止，"
        "客户端共发出 {c_packets} 个数据报（{c_bytes:bytes}），服务器共发出 {s_packets} 个数据报（{s_bytes:bytes}）；"
        "解开了 {packets} 个数据包，其中有 {requests} 个 HTTP/3 请求与响应（见上文）。"),
    "quic.keys.missing": (
        "给出了 TLS 密钥日志，但它解不开这个 QUIC 连接（{why}）：它的 Handshake 和 1-RTT 数据包，"
        "以及其中的 HTTP/3 请求，仍然是加密的。密钥日志必须来自建立这个连接的客户端（SSLKEYLOGFILE），而且是同一次运行。"),
    "quic.gquic.hello": (
        "客户端通过 UDP（源端口 {client_port}）向 {server_ep} 发起一个 Google QUIC（gQUIC）连接："
        "它的第一个数据包（版本 {version}，{size:bytes}）以明文携带握手的问候消息（CHLO）{named_text}。{complete_text}"
        "gQUIC 是 Chrome 在 IETF 的 QUIC（RFC 9000，HTTP/3 的传输层）取代它之前使用的 QUIC；"
        "它的握手是 Google 自己的 QUIC Crypto，不是 TLS，问候之后的内容都用密钥日志里没有的密钥加密："
        "只能读出数据包的明文头部和这条问候消息。"),
    "quic.gquic.server": (
        "服务器在客户端的问候之后 {rtt_ms:dur}作出回应："
        "回应是加密的，说明服务器接受了这条问候（它自己的问候 SHLO 是加密发送的；"
        "拒绝消息 REJ 则会像客户端的问候一样以明文发送）。"),
    "quic.gquic.server.resent": (
        "在得到任何回应之前，客户端把问候发送了 {count} 次（第 {hellos:frames} 帧；最后一次比第一次晚 "
        "{resent_ms:dur}：一直没有回应）。服务器在第一次之后 {rtt_ms:dur}、最后一次之后 {last_ms:dur}作出回应："
        "回应是加密的，说明服务器接受了这条问候（它自己的问候 SHLO 是加密发送的；"
        "拒绝消息 REJ 则会像客户端的问候一样以明文发送）。"),
    "quic.gquic.reject": (
        "服务器在客户端的问候之后 {rtt_ms:dur}回应了一条拒绝消息（REJ，明文）：它不认为这条问候是完整的，"
        "并发来完整问候所需的内容（它的配置、源地址令牌）；客户端必须重新发送问候，在任何请求之前多花一个往返。"),
    "quic.gquic.unanswered": (
        "客户端的 {count} 个问候数据包没有得到回应（从第一个算起，抓包又持续了 {waited_ms:dur}）："
        "{server_ep} 没有通过 UDP 发回任何东西。如果网络屏蔽了发往 {port} 端口的 UDP，看到的就是这样；"
        "这时浏览器会改用基于 TCP 的 HTTPS。"),
    "quic.gquic.data": (
        "加密的 gQUIC：到第 {last} 帧（第一个问候之后 {span_ms:dur}）为止，"
        "客户端共发出 {c_packets} 个数据报（{c_bytes:bytes}），服务器共发出 {s_packets} 个数据报（{s_bytes:bytes}）。"
        "请求和响应就在其中，但所用的密钥不在任何密钥日志里：既无法讲述这些请求和响应，也无法说明连接是怎样结束的。"),
    "quic.race.quic": (
        "客户端让 QUIC 和 TCP 竞速连接 {server}：它的 QUIC 问候（第 {hello} 帧）和连接 {stream} 的 SYN"
        "（第 {syn} 帧）相隔 {gap_ms:dur}。服务器的 QUIC 回应（第 {answer} 帧）之后，客户端通过 QUIC 又发出 "
        "{after} 个数据报（{after_bytes:bytes}，第 {after_first}-{after_last} 帧），在连接 {stream} 上则没有再发送任何东西："
        "它接着使用 QUIC（抓包在那个回应之后 {tail_ms:dur}结束）。"),
    "quic.race.both": (
        "客户端让 QUIC 和 TCP 竞速连接 {server}：它的 QUIC 问候（第 {hello} 帧）和连接 {stream} 的 SYN"
        "（第 {syn} 帧）相隔 {gap_ms:dur}。服务器的 QUIC 回应（第 {answer} 帧）之后，客户端两边都在发送："
        "通过 QUIC 发出 {after} 个数据报（{after_bytes:bytes}），在连接 {stream} 上发出 {tcp_after} 个带数据的报文段"
        "（{tcp_bytes:bytes}）。"),
    "http3.request": (
        "HTTP/3 请求：{method} {uri}（:authority {host}），在 QUIC 连接 {stream}（UDP）上，用密钥日志解密，"
        "正文 {size:bytes}。"),
    "http3.request.early": (
        "以 0-RTT 数据发出的 HTTP/3 请求：{method} {uri}（:authority {host}），在 QUIC 连接 {stream}（UDP）上，"
        "用密钥日志解密，正文 {size:bytes}。它在握手完成之前就已发出，装在 0-RTT 数据包里：客户端恢复了之前某次连接"
        "留下的 TLS 会话（会话票据），用由它派生的密钥加密请求，省去一个往返。0-RTT 数据可能被攻击者重放，"
        "所以服务器只对可以安全重复的请求（例如 GET）接受它（RFC 9001 9.2）。"),
    "http3.response": (
        "HTTP/3 响应：{status}{reason:phrase}，{content_type}，正文 {size:bytes}。"
        "首字节时间为请求发出后 {ttfb_ms:dur}；接收响应用了 {transfer_ms:dur}。"),
    "http.pipelined": (
        "HTTP 流水线：在连接 {stream} 上，前一个请求（{prev_method} {prev_uri}）的响应还没开始（它从第 {prev_frame} 帧开始），"
        "客户端就发出了这个请求。HTTP/1.1 按顺序逐个回答流水线上的请求，所以这个响应必须等前面的响应发完："
        "它的首字节时间包含了排在前面的那些响应所占用的时间（队头阻塞）。"),
    "http.request.early_refused": (
        "{method} {uri} 最先作为 TLS 1.3 早期数据（0-RTT）随 ClientHello 发出：服务器拒绝了早期数据（第 {evidence} 帧），"
        "也没有读取它，所以客户端在握手之后又把这个请求发了一遍（第 {again_frame} 帧）。"),
    "tcp.race.unanswered": (
        "Happy Eyeballs（RFC 8305）：{server_ep} 和 {won_ep} 是同一个域名的两个地址，"
        "分属两个地址族；客户端先尝试 {family}（连接 {stream}，SYN 在第 {syn} 帧）。"
        "没有等到 SYN-ACK，于是 {after_ms:dur}之后它又用 {other} 发起了连接 {winner}（第 {wsyn} 帧），"
        "请求走的就是这个连接。双栈客户端让两个地址族赛跑，这样一条路径不通只会让它多等一会儿，而不会导致失败。"),
    "tcp.race.refused": (
        "Happy Eyeballs（RFC 8305）：{server_ep} 和 {won_ep} 是同一个域名的两个地址，"
        "分属两个地址族；客户端先尝试 {family}（连接 {stream}，SYN 在第 {syn} 帧），"
        "服务器拒绝了这个连接（第 {end} 帧）；在那个 SYN 之后 {after_ms:dur}，"
        "客户端改用 {other}（连接 {winner}，第 {wsyn} 帧），请求走的就是这个连接。"),
    "tcp.race.unused": (
        "Happy Eyeballs（RFC 8305）：{server_ep} 和 {won_ep} 是同一个域名的两个地址，"
        "分属两个地址族；客户端用 {family} 打开了连接 {stream}（SYN 在第 {syn} 帧），"
        "{after_ms:dur}之后又用 {other} 打开了连接 {winner}（第 {wsyn} 帧），"
        "让两者赛跑：请求走的是 {other} 的那个连接，连接 {stream} 没有用上。"),
    "tcp.spare": (
        "连接 {stream} 没有承载任何请求：客户端在连接 {first} 之后 {after_ms:dur}打开了它（第 {syn} 帧）{done_text}，"
        "{closer:role}在它的 SYN 之后 {life_ms:dur}把它关闭（第 {close} 帧），一直没有用过。浏览器会提前打开这样的备用连接"
        "（预连接，或者与第一个连接赛跑的第二个连接），页面用不上的就关掉。"),
    "tcp.spare.first": (
        "连接 {stream} 没有承载任何请求：客户端最先打开了它（第 {syn} 帧）{done_text}；"
        "{closer:role}在它的 SYN 之后 {life_ms:dur}把它关闭了（第 {close} 帧），"
        "它始终没派上用场。晚 {after_ms:dur}打开的连接 {first} 承载了请求。"
        "浏览器会在需要之前就打开连接（请求没能用上的预连接，或者互相赛跑的两个连接），页面用不上的再关掉。"),
    "http.no_response": "抓包中没有对 {method} {uri} 的响应（{why_text}）。",
    "http.response.unrequested": (
        "一个 HTTP 响应，但分析器读不到它所回答的请求：{status}{reason:phrase}，{content_type_text}，"
        "正文 {size:bytes}，在连接 {stream} 上。{cause_text}"),
    "http.incomplete": "对 {uri} 的响应不完整（{why_text}）。",
    "http.incomplete.bytes": (
        "对 {uri} 的响应不完整：{announced_text}正文中有 {received:bytes}经过了抓包点，直到相对序号 {last_seq}"
        "（第 {last_frame} 帧）{holes_text}{unseen_text}。{end_text}"),
    "http.incomplete.head": (
        "对 {uri} 的响应不完整：{announced_text}正文没有一个字节经过抓包点：本文件中服务器的数据止于响应头的末尾，"
        "即相对序号 {last_seq}（第 {last_frame} 帧）。{end_text}"),
    "http.wait.server": (
        "在 {ttfb_ms:dur}的首字节时间里，约 {rtt_ms:dur}是网络往返{rtt_src}，{think_ms:dur}是服务器的处理时间"
        "（TTFB 减去 RTT）：服务器立刻确认了请求（第 {ack_frame} 帧，用时 {ack_ms:dur}），然后花了这么久才作答。"),
    "http.wait.server_noack": (
        "首字节时间（{ttfb_ms:dur}）远长于往返时间（{rtt_ms:dur}）：作答之前，服务器处理用去了约 {think_ms:dur}"
        "（TTFB 减去 RTT）。"),
    "http.wait.lost": (
        "首字节时间为 {ttfb_ms:dur}，而往返时间只有 {rtt_ms:dur}，其间服务器也没有单独确认请求：如果服务器真要"
        "思考这么久，它的延迟确认定时器（约 40 毫秒）一到就会先确认请求。这个数字恰好等于最小重传超时"
        "（Linux 上为 {rto_ms:.0f} 毫秒）加一个往返：很可能服务器的第一次应答在到达抓包点之前就丢失了，"
        "这里看到的是它的重传（抓包从未见到丢失的那一份）。"),
    "http.wait.resent": (
        "{ttfb_ms:dur}的首字节时间耗在了重传定时器上：客户端一直没等到应答，在 {waited_ms:dur}后重传了请求（第 "
        "{resend_frame} 帧），应答在这份重传之后 {answer_ms:dur}到达（一个往返为 {rtt_ms:dur}）。可能是第一份请求在"
        "去往服务器的路上丢失了，服务器应答的是重传的那一份；也可能是服务器的第一次应答在到达抓包点之前丢失了，它自己的"
        "定时器几乎同时重传了应答。TCP 时间戳可以区分这两种情况：应答的回显（TSecr）就是服务器收到的那一份请求的 TSval。"),
    "http.wait.resent.request_lost": (
        "{ttfb_ms:dur}的首字节时间耗在了重传定时器上：客户端一直没等到应答，在 {waited_ms:dur}后重传了请求（第 "
        "{resend_frame} 帧），应答在这份重传之后 {answer_ms:dur}到达（一个往返为 {rtt_ms:dur}）。请求的第一份（第 "
        "{first_frame} 帧）在去往服务器的路上丢失了：应答的时间戳回显（TSecr {tsecr}）正是第 {copy_frame} 帧那一份的 "
        "TSval，也就是服务器收到的那一份（RFC 7323：接收方回显的是最近一个推进了它的窗口的报文段）。"),
    "http.wait.resent.request_lost.again": (
        "{ttfb_ms:dur}的首字节时间耗在了重传定时器上：客户端一直没等到应答，在 {waited_ms:dur}后重传了请求（第 "
        "{resend_frame} 帧），应答在这份重传之后 {answer_ms:dur}到达（一个往返为 {rtt_ms:dur}）。第 {lost_frames:frames} "
        "帧的几份请求都在去往服务器的路上丢失了：应答的时间戳回显（TSecr {tsecr}）正是第 {copy_frame} 帧那一份的 TSval，"
        "也就是服务器收到的那一份（RFC 7323：接收方回显的是最近一个推进了它的窗口的报文段）。"),
    "http.wait.resent.answer_lost": (
        "{ttfb_ms:dur}的首字节时间耗在了重传定时器上：客户端一直没等到应答，在 {waited_ms:dur}后重传了请求（第 "
        "{resend_frame} 帧），应答在这份重传之后 {answer_ms:dur}到达（一个往返为 {rtt_ms:dur}）。请求并没有丢失：应答的"
        "时间戳回显（TSecr {tsecr}）比这份重传的 TSval（{tsval}）更早，所以它回显的是更早的一份，即第一份（第 "
        "{first_frame} 帧）：重传到达之前，服务器已经收到了请求。在到达抓包点之前丢失的是服务器的第一次应答（或它对请求"
        "的 ACK）；这一份是服务器自己的定时器重发的，差不多和客户端的定时器同时触发。"),
    "tls.client_hello.sni": (
        "TLS ClientHello：客户端以明文开始一个 TLS 会话。它说出想访问的站点：SNI = {sni}（路径上的任何人都能看到），"
        "并提供版本 {versions}、{ciphers} 个密码套件{alpn_offer}{psk_note}。"),
    "tls.client_hello": (
        "TLS ClientHello：客户端以明文开始一个 TLS 会话，没有给出服务器名（没有 SNI）。它提供版本 {versions}、"
        "{ciphers} 个密码套件{alpn_offer}{psk_note}。"),
    "tls.early_data.refused": (
        "服务器拒绝了客户端的早期数据：{refusal}。被拒绝的早期数据，服务器不读就跳过（RFC 8446 4.2.10），所以客户端随 "
        "ClientHello 发出的 {early_records} 个记录（{early_bytes:bytes}，{early_where}）没有送到任何应用程序{resent_text}。"),
    "tls.hello_retry": (
        "HelloRetryRequest：服务器要求提供 {group} 组的密钥共享，而客户端没有发送；客户端必须再发一个 ClientHello："
        "多了一个往返。"),
    "tls.no_server_hello": "抓包中没有 ServerHello：TLS 握手没有完成。",
    "tls.no_server_hello.soon": (
        "抓包中没有 ServerHello，而抓包在 ClientHello 之后 {waited_ms:dur}就结束了，这条连接上一次往返要 "
        "{rtt_ms:dur}：时间太短，看不出握手是否完成。"),
    "tls.server_hello.13": (
        "ServerHello，在 ClientHello 之后 {rtt_ms:dur}：服务器选定 {version} 和 {cipher}{alpn_text}。在 TLS 1.3 中，"
        "这条消息之后的一切都是加密的，包括服务器的证书：旁观者能知道站点的名字（SNI），却看不到它的证书。"),
    "tls.server_hello.13.resumed": (
        "ServerHello，在 ClientHello 之后 {rtt_ms:dur}：服务器选定 {version} 和 {cipher}{alpn_text}，"
        "并接受客户端的预共享密钥：会话从之前的会话恢复，因此不发送证书。"),
    "tls.server_hello.12": (
        "ServerHello，在 ClientHello 之后 {rtt_ms:dur}：服务器选定 {version} 和 {cipher}{alpn_text}。"
        "在 TLS 1.2 中，随后的证书和密钥交换仍是明文。"),
    "tls.server_hello.12.resumed": (
        "ServerHello，在 ClientHello 之后 {rtt_ms:dur}：服务器沿用之前的会话（{version}，{cipher}）："
        "这是简化握手，没有证书，也没有密钥交换。"),
    "tls.server_hello.lost": (
        "ServerHello 在 ClientHello（第 {hello_frame} 帧）之后 {wait_ms:dur}才到，而一个往返只需 {rtt_ms:dur}，其间客户端"
        "也没有重发任何东西：TLS 服务器回应一个 ClientHello 大约只要一毫秒。这个时长与最小重传超时（Linux 上为 "
        "{rto_ms:.0f} 毫秒）加一个往返相符：很可能服务器的第一批握手消息（ServerHello 及其后的消息）在到达抓包点之前"
        "丢失了，这里看到的是它的定时器重发的那一份（抓包从未见到丢失的那一份）。"),
    "tls.server_hello.lost.ack": (
        "ServerHello 在 ClientHello（第 {hello_frame} 帧）之后 {wait_ms:dur}才到，而一个往返只需 {rtt_ms:dur}，尽管服务器"
        "立即确认了 ClientHello（第 {ack_frame} 帧，在它之后 {ack_ms:dur}）：服务器一直都有这个 ClientHello，而 TLS "
        "服务器回应一个 ClientHello 大约只要一毫秒。这个时长与最小重传超时（Linux 上为 {rto_ms:.0f} 毫秒）加一个往返"
        "相符：很可能服务器的第一批握手消息（ServerHello 及其后的消息）在到达抓包点之前丢失了，这里看到的是它的定时器"
        "重发的那一份（抓包从未见到丢失的那一份）。"),
    "tls.certificate": (
        "证书（TLS 1.2 中为明文）：服务器证明自己是 {subject}{san_text}，由 {issuer} 签发，有效期至 "
        "{not_after}；证书链中共 {chain} 张证书。"),
    "tls.certificate.decrypted": (
        "证书（用密钥日志解密；TLS 1.3 中证书是加密发送的）：{subject}{san_text}，由 {issuer} 签发，"
        "有效期至 {not_after}；证书链中共 {chain} 张证书。"),
    "tls.done.finished": (
        "客户端的 Finished：握手完成，在 ClientHello 之后 {secure_ms:dur}连接变得安全（安全连接建立耗时）。{trips_text}"),
    "tls.done.guess13": (
        "ServerHello 之后客户端发出的第一个加密记录就是它的 Finished：握手完成，在 ClientHello 之后 {secure_ms:dur}"
        "连接变得安全（安全连接建立耗时）。{trips_text}"),
    "tls.done.ccs12.server": (
        "服务器的 ChangeCipherSpec：从这里开始，它的记录都是加密的，它的 Finished 结束握手；在 ClientHello 之后 "
        "{secure_ms:dur}连接变得安全（安全连接建立耗时）。{trips_text}"),
    "tls.done.ccs12.client": (
        "客户端的 ChangeCipherSpec：从这里开始，它的记录都是加密的，它的 Finished 结束这次简化握手；在 ClientHello "
        "之后 {secure_ms:dur}连接变得安全（安全连接建立耗时）。{trips_text}"),
    "tls.ticket": "NewSessionTicket：服务器给客户端{tickets_text}，以后可以不经完整握手就恢复这个会话。",
    "tls.ticket.again": (
        "又一张 NewSessionTicket（第 {n} 张票据）：服务器会发出不止一张（OpenSSL 默认发两张），让以后的每个连接都能"
        "用自己的一张票据恢复会话：TLS 1.3 的票据最好只用一次（RFC 8446 附录 C.4）。"),
    "tls.encrypted": (
        "加密的应用数据：客户端发出 {sent_records} 个记录（{sent_bytes:bytes}），服务器发出 {recv_records} 个记录"
        "（{recv_bytes:bytes}），第 {first}–{last} 帧{aside_text}。HTTP 请求和响应就在其中；{key_text}"),
    "tls.encrypted.no_request": (
        "这个连接上没有请求：握手之后客户端没有发出任何应用数据；服务器发出 {recv_records} 个记录（{recv_bytes:bytes}），"
        "{where}{aside_text}。{why_text}"),
    "tls.close_notify": (
        "{who:role}发送 TLS close_notify：在 TCP 关闭之前干净地结束 TLS 会话（这样，被截断的连接就不会被当成完整的）。"),
    "tls.alert": "{who:role}发出 TLS 警报：{level}，{description}。",
    "tls.failed.alert": "{who:role}以一个致命警报结束 TLS 握手，{description}：{meaning}握手失败：这个连接上没有发出任何请求。",
    "tls.failed.encrypted": (
        "客户端没有发出它的 Finished，而是发出一个 19 字节的记录，正好是一个加密的 TLS 1.3 警报的大小（2 字节警报、它的内容类型和 "
        "16 字节的认证标签）：握手在客户端一侧失败，这个连接上没有发出任何请求。在 TLS 1.3 中，客户端要到 ServerHello 之后才看到"
        "服务器的证书（证书是加密传送的），所以最常见的原因是它不接受这张证书（自签名、由它不信任的机构签发、已过期，或不是为"
        "{sni_text}签发的）；没有密钥就读不出警报的种类。"),
    "tls.alert.encrypted": "{who:role}发出一个加密的 TLS 警报：没有密钥就不知道它的种类（在 TCP 关闭之前通常是 close_notify）。",
    "tls.midstream": "只有 TLS 记录而没有对应的 ClientHello：TLS 会话在开始抓包之前就已建立，因此不知道它的参数和密钥。",
    "delay.tls": "连接 {stream} 的 TLS 握手用时 {ms:dur}。",
    "delay.tls.stall": "连接 {stream} 的 TLS 握手用时 {ms:dur}，下面那段 {held_ms:dur}的 Nagle 停顿也算在其中。",
    "delay.client_page": (
        "客户端在页面的最后一个字节（第 {page_frame} 帧）与它的下一个动作（第 {next_frame} 帧）之间花了 {ms:dur}，其间网络上"
        "没有这次访问的数据：浏览器在处理这个页面（读它、运行它的脚本），然后才去要更多的内容（{uri}）；时间花在客户端，"
        "既不是网络，也不是服务器。"),
    "delay.tls.client": (
        "连接 {stream} 的 TLS 握手用时 {ms:dur}：服务器一方在 ClientHello 之后 {server_ms:dur}就完成了（第 {server_frame} "
        "帧）；之后又过了 {client_ms:dur}客户端才发出它的 Finished（第 {fin_frame} 帧），其间这个连接上没有数据：这段时间"
        "花在客户端自己身上（检查服务器的证书，或者程序迟迟没有继续），既不是网络，也不是服务器。"),
    "delay.dns": "域名解析用时 {ms:dur}（{count} 次 DNS 查询）。",
    "delay.dns.waits": "域名解析用时 {ms:dur}（{count} 次 DNS 查询）。{tail}",
    "delay.dns.wait_included": "下面那段 {wait_ms:dur}的等待也算在其中。",
    "delay.dns.late_included": "下面那段 {late_ms:dur}、等来一条迟到应答的时间也算在其中。",
    "delay.dns.client_gap": (
        "域名解析用时 {ms:dur}（{count} 次 DNS 查询）：其中等解析器应答用了 {net_ms:dur}，客户端自己用了 {gap_ms:dur}，"
        "即从第 {answer} 帧的应答到它在第 {next} 帧发出下一个查询：它的解析库问完一个问题才问下一个。{tail}"),
    "delay.dns.client_gaps": (
        "域名解析用时 {ms:dur}（{count} 次 DNS 查询）：其中等解析器应答用了 {net_ms:dur}，客户端自己用了 {gap_ms:dur}，"
        "都在收到一个应答之后、发出下一个查询之前（最长的一段 {longest_ms:dur}，从第 {answer} 帧的应答到第 {next} 帧的"
        "查询）：它的解析库问完一个问题才问下一个。{tail}"),
    "delay.dns.names": (
        "域名解析用时 {ms:dur}：{names} 个名字共解析 {lookups} 次（{queries} 次 DNS 查询），每次从第一个查询算到最后一个应答："
        "{per_name}。这些解析之间客户端在做别的事（建立连接、发送请求），所以从第一个查询到最后一个应答的 {span_ms:dur}"
        "并不都是解析时间。{tail}"),
    "delay.dns_retry": "等待重发对 {qname} 的 DNS 查询用时 {ms:dur}。",
    "delay.dns_late": (
        "从对 {qname} 的 {qtype} 查询（第 {query} 帧）到它的应答（第 {answer} 帧）共 {ms:dur}，应答来得太晚："
        "客户端早已不再等它，回了 ICMP 差错报文拒收（第 {icmp} 帧），没有用上这条应答。"),
    "delay.dns_next_server": "等待始终没有应答的解析器 {resolver}，用时 {ms:dur}，然后客户端才向下一个解析器查询 {qname}。",
    "delay.syn_retry": "等待重传连接 {stream} 的 SYN 用时 {ms:dur}（共尝试 {attempts} 次）。",
    "delay.connect": "连接 {stream} 的 TCP 握手用时 {ms:dur}。",
    "delay.syn_unanswered": "连接 {stream} 上反复发送 SYN 用了 {ms:dur}（共 {attempts} 个，第 {first} 帧到第 {last} 帧），始终没有 SYN-ACK 应答。",
    "delay.late_synack": "连接 {stream} 的 SYN-ACK 迟到，比一个往返多等了 {ms:dur}。",
    "delay.server": "服务器处理 {uri} 用时 {ms:dur}。",
    "delay.server.quiet": "服务器处理 {uri} 用时 {ms:dur}：首字节时间 {ttfb_ms:dur}（应答的第一个字节在第 {frame} 帧）减去一个往返时间 {rtt_ms:dur}。",
    "delay.server.quiet.many": (
        "服务器处理 {count} 个应答共用时 {ms:dur}（{uris:frames}：分别为 {waits:durs}；应答的第一个字节在第 {firsts:frames} "
        "帧），每个都是首字节时间减去一个往返时间。"),
    "delay.lost_answer": "等待一个很可能丢失后又重传的应答用时 {ms:dur}。",
    "delay.lost_answer.tls": "等待服务器在连接 {stream} 上重发第一批 TLS 握手消息用时 {ms:dur}（很可能在抓包点之前丢失了）。",
    "delay.lost_answer.after": (
        "从客户端最后一份请求（第 {last_frame} 帧）到应答用时 {ms:dur}：服务器的定时器在重发一个很可能已丢失的应答。"),
    "delay.loss.tail": "等{sender:role}的定时器重发一个很可能在抓包点之前丢失的报文段（第 {frame} 帧）用时 {ms:dur}。",
    "delay.loss": "从丢失的报文段中恢复用时 {ms:dur}。",
    "delay.loss.fin": "从丢失的 FIN 中恢复用时 {ms:dur}。",
    "delay.release": "从{closer:role}的 FIN 到它的 ACK 用时 {ms:dur}：连接释放在等待重发的报文段（第 {copies:frames} 帧）。",
    "delay.release.one": "从{closer:role}的 FIN 到它的 ACK 用时 {ms:dur}：连接释放在等待重发的报文段（第 {copies:frames} 帧）。",
    "delay.retransmission": "等待重传定时器用时 {ms:dur}。",
    "delay.retransmission.dup": "等待重发一个接收方没收到的报文段用时 {ms:dur}（接收方用重复 ACK 要求重发它）。",
    "delay.retransmission.timeouts": (
        "连接 {stream} 上{sender:role}的数据重传超时 {count} 次，共 {ms:dur}（{waits:durs}）：每次都是定时器到期前没有等到 ACK。"),
    "delay.idle": (
        "从第 {last} 帧起，{ms:dur}内网络上没有这次访问的任何报文，直到{who:role}用 {flag} 关闭连接 {stream}（第 {end} 帧）："
        "连接一直开着，却没有东西可传；总耗时算到它关闭为止，但这段时间并没有用在加载上。"),
    "delay.idle_data": (
        "从第 {last} 帧起，{ms:dur}内网络上没有这次访问的任何报文，直到{who:role}在连接 {stream} 上发出 {size:bytes}"
        "（第 {end} 帧）：没有待传的东西，连接一直开着，在等{who:role}继续（它的程序，或操作它的人），而不是在等网络。"),
    "delay.idle_data.far": (
        "{who:role}在连接 {stream} 上发出 {size:bytes}（第 {end} 帧）之前，在它那一侧用了 {ms:dur}：从第 {last} 帧起的 "
        "{gap_ms:dur}中，另外的 {far_ms:dur}是抓包点与{who:role}之间的往返时间（在握手中测得，第 {hs_a} 帧和第 {hs_b} 帧）；"
        "没有待传的东西，所以其余时间是{who:role}自己在继续（它的程序，或操作它的人），而不是网络。"),
    "delay.idle_request.far": (
        "客户端在连接 {stream} 上发出下一个请求 {request}（第 {end} 帧）之前用了 {ms:dur}：从第 {last} 帧起的 "
        "{gap_ms:dur}中，另外的 {far_ms:dur}是抓包点与客户端之间的往返时间（在握手中测得，第 {hs_a} 帧和第 {hs_b} 帧）；"
        "其余时间是客户端在两个请求之间自己的时间，与网络和服务器无关。"),
    "delay.idle_request": (
        "从第 {last} 帧起，{ms:dur}内网络上没有这次访问的任何报文，直到客户端在连接 {stream} 上发出下一个请求 {request}"
        "（第 {end} 帧）：这是客户端在两个请求之间自己的时间（浏览器在处理收到的内容，或脚本在继续执行），与网络和服务器无关。"),
    "delay.idle_syn": (
        "从第 {last} 帧起，{ms:dur}内网络上没有这次访问的任何报文，直到客户端打开连接 {stream}（它的 SYN，第 {end} 帧）："
        "这是客户端在建立下一个连接之前自己的时间，与网络和服务器无关。"),
    "delay.idle_dns": (
        "从第 {last} 帧起，{ms:dur}内网络上没有这次访问的任何报文，直到客户端查询 {qname}（第 {end} 帧）："
        "这是客户端在查询下一个名字之前自己的时间，与网络和服务器无关。"),
    "delay.left_out": "另有 {count} 个较小的部分没有列在上面，共 {ms:dur}：{parts}。",
    "delay.left_out.all": "{count} 个部分，各不到总耗时 {total_ms:dur}的十分之一，合计 {ms:dur}：{parts}。",
    "delay.rest": "总耗时 {total_ms:dur}中，其余 {ms:dur}没有在这里细分：网络往返、{carried}，以及上面各部分之间的时间。",
    "delay.rest.all": "总耗时 {total_ms:dur}没有在这里细分：网络往返、{carried}，以及上面各部分之间的时间。",
    "delay.overlap": "上面有些部分是同时进行的：它们加起来共 {ms:dur}，超过了本次访问的总耗时 {total_ms:dur}。",
    "delay.race": (
        "在 {family} 上等待了 {ms:dur}（连接 {stream}：没有回应），客户端才又尝试 {other}（Happy Eyeballs）。"),
    "delay.stall": "Nagle 算法与延迟确认造成停顿 {ms:dur}。",
    "delay.expect_wait": "等待服务器从未发出的 100 Continue 用了 {ms:dur}（Expect: 100-continue）。",
    "delay.zero_window": "零窗口造成停顿 {ms:dur}。",
    "delay.transfer": "传输 {uri}（{size:bytes}）用时 {ms:dur}。",
    "delay.client_dns": (
        "从 DNS 应答（第 {answer} 帧）到客户端发出 SYN（第 {syn} 帧）之间，客户端自己用了 {ms:dur}：这段时间网络上"
        "没有这次访问的任何报文，是客户端本身的时间（解析库把地址交给程序、程序打开套接字），如果不是在客户端上抓的包，"
        "还要加上抓包点与客户端之间的路程。"),
    "delay.client_dns_arp": (
        "从 DNS 应答（第 {answer} 帧）到客户端为下一跳发出 ARP 请求（第 {arp} 帧）之间，客户端自己用了 {ms:dur}：这段时间"
        "网络上没有这次访问的任何报文，是客户端本身的时间（解析库把地址交给程序、程序打开套接字），如果不是在客户端上抓的包，"
        "还要加上抓包点与客户端之间的路程。"),
    "delay.client_dns_nd": (
        "从 DNS 应答（第 {answer} 帧）到客户端为下一跳发出邻居请求（第 {arp} 帧）之间，客户端自己用了 {ms:dur}：这段时间"
        "网络上没有这次访问的任何报文，是客户端本身的时间（解析库把地址交给程序、程序打开套接字），如果不是在客户端上抓的包，"
        "还要加上抓包点与客户端之间的路程。"),
    "delay.client_send": (
        "从握手结束（第 {ack} 帧）到客户端发出第一批数据（第 {data} 帧）之间，客户端用了 {ms:dur}：网络上没有报文，"
        "是程序在准备它要发送的第一条消息。"),
}

# the copy of a resent request the server had was answered only a timeout later with nothing from the server in
# between (build._which_copy): its answer was lost too. ".answer_lost": the client sent yet another copy, which the
# server would have acknowledged at once; ".answer_lost.quiet": it did not, nor came the server's delayed ACK.
_ANSWER_LOST_TOO = {
    ".answer_lost": (
        (" The server had the request from that copy on, yet nothing came from it for {had_ms:dur}, not even an ACK of "
         "the copy the client sent after it (frame {later_frames:frames}), which a receiver acknowledges at once when it "
         "already has the bytes: what the server sent in that time (its answer, its ACKs) was most likely lost before "
         "the capture point, and this answer is the copy its own timer sent again."),
        ("服务器从那一份起就有了请求，可之后 {had_ms:dur}里没有任何东西从它那里过来，连对客户端随后又发的那一份（第 "
         "{later_frames:frames} 帧）的 ACK 也没有，而接收方收到已有字节的副本时会立即回 ACK：服务器在这段时间里发出的"
         "东西（应答和 ACK）很可能在到达抓包点之前丢失了，这一份应答是它自己的定时器重发的。")),
    ".answer_lost.quiet": (
        (" The server had the request from that copy on, yet nothing came from it for {had_ms:dur}, not even the ACK "
         "a server sends for a request it is still working on once its delayed-ACK timer runs out (about 40 ms, at "
         "most 200 ms on Linux): what it sent in that time (its answer, its ACKs) was most likely lost before the "
         "capture point, and this answer is the copy its own timer sent again."),
        ("服务器从那一份起就有了请求，可之后 {had_ms:dur}里没有任何东西从它那里过来，连服务器在处理请求时等延迟 ACK "
         "定时器到时（约 40 毫秒，Linux 上最多 200 毫秒）后会发的 ACK 也没有：服务器在这段时间里发出的东西（应答和 ACK）"
         "很可能在到达抓包点之前丢失了，这一份应答是它自己的定时器重发的。")),
}
for _kind in ("http.wait.resent.request_lost", "http.wait.resent.request_lost.again"):
    for _suffix, (_en, _zh) in _ANSWER_LOST_TOO.items():
        _EN[_kind + _suffix] = _EN[_kind] + _en
        _ZH[_kind + _suffix] = _ZH[_kind] + _zh

TEMPLATES: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}

# Parts of sentences chosen from the facts (a table per language; the keys are the facts' values).
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "why.referer": "Referer: {referer}", "why.linked": "the page links to it",
        "why.same_conn": "same connection as the page, same host, no Referer",
        "why.window": "same host within 3 s of the page, no Referer",
        "side": "a crawler (wget, a search engine) first asks which paths it may fetch (robots.txt); browsers "
                "ask for the site's icon (favicon.ico) on their own. It joins the fetch it came with.",
        "doubling": " Each wait doubles the one before (exponential backoff of the retransmission timeout, RTO).",
        "ttl.odd": (" The IP headers say which: frame {odd} came with TTL {ttl_odd}, the {sender:role}'s other packets "
                    "with TTL {ttl_usual}: frame {odd} travelled another path, or came from another host."),
        "ttl.same": " Both came with TTL {ttl_frame}: their IP headers do not tell which one is genuine.",
        "evidence.hop": (" The IP headers agree: frames {first_frame} and {copy_frame} carry the same IPv4 ID "
                         "({id_hex}; a packet sent again gets a new one) and the copy's TTL is one lower ({ttl_a}, "
                         "then {ttl_b}): the capture saw the packet again one router hop further."),
        "evidence.same": (" The IP headers agree: frames {first_frame} and {copy_frame} carry the same IPv4 ID "
                          "({id_hex}; a packet sent again gets a new one) and the same TTL ({ttl_a}): the capture "
                          "saw it twice at the same hop (two interfaces, or a mirror port copying both ways)."),
        "evidence.id": (" The IP headers agree: frames {first_frame} and {copy_frame} carry the same IPv4 ID "
                        "({id_hex}); a packet sent again gets a new one."),
        "linear": (" This wait is as long as the one before, not doubled: some stacks keep the SYN timeout fixed "
                   "for the first attempts before it starts doubling (Linux 6.5 and later: 1 s, "
                   "net.ipv4.tcp_syn_linear_timeouts)."),
        "linear.again": " Again as long as the wait before.",
        "icmp.final": "No SYN followed: the connection attempt ended here (the client's connect() fails at once, "
                      "as Linux does on such an error, instead of waiting for retransmission timeouts).",
        "icmp.retried": "The client sent the SYN again anyway: its stack treated the error as temporary.",
        "tickets.one": "a ticket", "tickets.many": "{count} tickets",
        "aside": " (among them {what}, told apart below)",
        "aside.tickets": "{count:n:session ticket}", "aside.alerts": "{count:n:alert}",
        "qtype_hint.AAAA": "no IPv6 address", "qtype_hint.A": "no IPv4 address",
        "qtype_hint": "no record of this type",
        "recovery.fast": "The receiver's {dup_acks:n:duplicate ACK} ({dup_where}) reported the hole and "
                         "the sender resent the missing bytes in frame {fill_frame} ({cost_ms:dur} after the "
                         "segment that showed the gap): a fast retransmission.",
        "recovery.rto": "The sender resent the missing bytes in frame {fill_frame}, {cost_ms:dur} after the "
                        "segment that showed the gap.",
        "lone.first": "this answer is the capture's first frame, the query was sent before it began.",
        "lone.start": "the capture began {before_ms:dur} before this answer, after the query was sent.",
        "lone.lone": ("none with this ID in the {looked_ms:dur} before it (the capture did not see it: sent another way, "
                      "or filtered out; or nobody asked)."),
        "lone.used": " The client used it: {used_ms:dur} later it connected to {server} (frame {used_frame}).",
        "recovery.none": "The capture holds no retransmission of the missing bytes.",
        "acked.more": " (the first of {unseen_ranges} such ranges)",
        "loss.acked.part": (
            " The {receiver:role} acknowledged {acked_bytes:bytes} of them that no frame of the capture carries (seq "
            "{acked_from}-{acked_to}{ranges_text}), first in frame {acked_frame} (relative ack {acked_ack}): those "
            "reached it, so the capture point missed the copy that got through."),
        "acked.ranges": ", in {acked_ranges} ranges",
        "acked.hole": ", part of the hole frame {hole_frame} showed (seq {hole_from}-{hole_to})",
        "loss.ooo": " Some of them came out of order first ({where}: reordered on the way, or sent again).",
        "loss.dups": " The {receiver:role}'s duplicate ACKs ({where}) asked for the missing bytes.",
        "loss.dup": " The {receiver:role}'s duplicate ACK ({where}) asked for the missing bytes.",
        "hole.more.rest": " {count} more holes follow in this episode (frames {first} to {last}, {nbytes:bytes} in "
                          "all).",
        "window_full.ack": "The ACK that let it go on came {wait_ms:dur} later (frame {ack_frame}).",
        "keepalive.idle": ", {idle_ms:dur} after its previous segment (frame {prev_frame})",
        "keepalive.ack": "The {receiver:role}'s TCP acknowledges it (frame {ack_frame}, {ack_ms:dur} later): the "
                         "connection is still alive at both ends.",
        "keepalive.no_ack": "No answer to it follows in the capture.",
        "window_full.no_ack": "No ACK of those bytes follows in the capture.",
        "hole.more": " Frame {frame} shows another hole: seq {lost_from}-{lost_to} ({lost_bytes:bytes}), none of "
                     "which the capture holds later.",
        "hole.more.late": " Frame {frame} shows another hole: seq {lost_from}-{lost_to} ({lost_bytes:bytes}); "
                          "segments carrying them came later, out of order.",
        "hole.more.part": " Frame {frame} shows another hole: seq {lost_from}-{lost_to} ({lost_bytes:bytes}); "
                          "segments carrying some of them came later, out of order.",
        "recovery.late": "The missing bytes came later, out of order ({late_count:n:segment}, "
                         "{late_text}; the first {late_ms:dur} after the segment that showed the gap): "
                         "resent, or delayed on the way.",
        "recovery.late.part": "Some of the missing bytes came later, out of order ({late_bytes:bytes} in "
                              "{late_count:n:segment}, {late_text}; the first {late_ms:dur} after the "
                              "segment that showed the gap); the other {never_bytes:bytes} never passed the capture "
                              "point.",
        "orig.frame": ", a copy of frame {orig_frame} sent {waited_ms:dur} earlier",
        "orig.frame.more": (": the {old_bytes:bytes} of frame {orig_frame} (sent {waited_ms:dur} earlier) again, "
                            "then {new_bytes:bytes} not sent before"),
        "orig.again": (", resend {resend} of frame {orig_frame} (first sent {waited_ms:dur} earlier), {gap_ms:dur} "
                       "after the previous copy (frame {prev_frame})"),
        "orig.again.doubled": (", resend {resend} of frame {orig_frame} (first sent {waited_ms:dur} earlier), "
                               "{gap_ms:dur} after the previous copy (frame {prev_frame}): twice the {prev_gap_ms:dur} "
                               "wait before that, because the sender doubles its retransmission timeout each time it "
                               "fires (exponential backoff)"),
        "orig.none": "",
        "cause.rto": "No ACK came for it in time, so the retransmission timer (RTO) fired: the first copy, or "
                     "its ACK, was lost after the capture point.",
        "cause.dup": "The receiver's duplicate ACKs asked for it.",
        "cause.dup.one": ("The {receiver:role}'s duplicate ACK (frame {asked_frames:frames}, ack = {asked_ack}) asked "
                          "for it: the bytes from relative seq {asked_ack} on had not arrived."),
        "cause.dup.many": ("The {receiver:role}'s duplicate ACKs (frames {asked_frames:frames}, ack = {asked_ack}) "
                           "asked for it: the bytes from relative seq {asked_ack} on had not arrived."),
        "cause.probe": ("No ACK had come for it, and {waited_ms:dur} is sooner than a retransmission timeout usually "
                        "fires (Linux waits at least 200 ms, RFC 6298 1 s): most likely a tail loss probe (RFC 8985), "
                        "the {sender:role}'s last segment sent again so that the {receiver:role}'s answer tells what "
                        "is missing."),
        "cause.rto.had": "No ACK came for it in time, so the retransmission timer (RTO) fired.",
        "spurious.dup": (" The {receiver:role} acknowledged these bytes in frame {acked_frame}, before the copy, and "
                         "answers the copy with a duplicate ACK (frame {dup_after_frames:frames}, ack = "
                         "{dup_after_ack}): it got them twice."),
        "late.rtt": ", where a round trip takes {rtt_ms:dur}",
        "late.data": "the {nbytes:bytes} before the FIN ({cn_text}first sent in frame {firsts:frames}), in {data_text}",
        "late.data.unseen": "the {nbytes:bytes} before the FIN (no earlier copy of them in this file), in {data_text}",
        "late.close_notify": "its TLS close_notify, ",
        "late.fin": "the FIN itself, in {fin_text}",
        "late.and": "; ",
        "dup.after.had": (" The {receiver:role} answers this copy with a duplicate ACK (frame "
                          "{dup_after_frames:frames}, ack = {dup_after_ack}): it had acknowledged these bytes already "
                          "(frame {had_frame}), so they reached it twice. The first copy had arrived; what the "
                          "{sender:role} missed was the ACK (or the answer carrying it), lost or late."),
        "dup.after": (" The {receiver:role}'s duplicate ACK after it (frame {dup_after_frames:frames}, ack = "
                      "{dup_after_ack}) acknowledges these bytes again: a copy of them had reached it already."),
        "what.bytes": "{length:bytes} again",
        "what.more": "{length:bytes}, partly again",
        "snaplen.no_http": ": that is why no HTTP request or response is shown for this connection",
        "stray": ("Before it the client sent {stray:bytes} that are not an HTTP request (frame "
                  "{stray_frames:frames}): the server rejected them."),
        "midstream": "Its request was sent before the capture started.",
        "unseen": "Its request is not in the capture (or was not HTTP the analyzer could read).",
        "what.fin": "its FIN again",
        "cause.rto.again": "Still no ACK for any earlier copy, so the retransmission timer (RTO) fired again.",
        "resumed.frame": " It opens the window again in frame {resumed_frame}, after {stall_ms:dur}.",
        "resumed.none": " The capture does not show the window opening again.",
        "resumed.held": (" The capture does not show the window opening again: the {sender:role} is held back for "
                         "{stall_ms:dur}, to the end of the capture."),
        "probes": (" The {sender:role} probes the window {probes:n:time} (frames {probe_frames:frames}) at intervals "
                   "of {probe_gaps:durs}, and every answer still advertises 0."),
        "probes.doubled": (" The {sender:role} probes the window {probes:n:time} (frames {probe_frames:frames}) at "
                           "intervals of {probe_gaps:durs}, each twice the one before (its persist timer backs off "
                           "exponentially), and every answer still advertises 0."),
        "probes.keepalive": (" Each probe is a segment of 0 bytes whose sequence number is one below the next "
                             "byte (Wireshark labels it a keep-alive): it carries no data, it only makes the "
                             "{receiver:role} answer with its current window."),
        "after.frame": " after the data of frame {after}",
        "after.none": "",
        "half.data": ": the other side kept sending data after it",
        "half.none": "",
        "encoding": " ({codings}; {decoded_size:bytes} decoded)",
        "before_hole": " reassembled ({received:bytes} of it passed the capture point in all, some of it after a "
                       "hole never filled: see below)",
        "transfer.one": "it came in one segment",
        "host_where.sni": "its TLS server name, SNI, frame {name_frame}",
        "what.page": "This is the page itself.",
        "what.other": "This is what the fetch asks for; the answer ({content_type}) is no HTML page.",
        "what.redirect": "This is what the fetch asks for; the answer is a redirect ({status}).",
        "what.error": "This is what the fetch asks for; the answer is an error ({status}).",
        "what.none": "This is what the fetch asks for; no answer to it is in the capture.",
        "what.untyped": "This is what the fetch asks for; the answer names no Content-Type.",
        "what.not_modified": "This is what the fetch asks for; the answer, 304 Not Modified, lets the client use its cached copy.",
        "san": "(names: {san})",
        "san.none": ("(it lists no subject alternative names: browsers match the site's name only against those, "
                     "not against the CN)"),
        "host_where.host": "its Host header, frame {name_frame}",
        "host_where.address": "the URL names the address",
        "psk": "; it also offers to resume an earlier session (a ticket or pre-shared key)",
        "alert_meaning.Unknown CA": "the {who:role} does not trust the authority that signed the {peer:role}'s certificate (a self-signed certificate, or one from a private authority not installed on the {who:role}).",
        "alert_meaning.Bad Certificate": (
            "the {who:role} could not verify the {peer:role}'s certificate (a signature that does not check out; "
            "many implementations send it for any certificate they reject, as a self-signed one or one from an "
            "authority they do not trust)."),
        "alert_meaning.Certificate Expired": "the {peer:role}'s certificate has expired or is not yet valid (a wrong clock on either side does this too).",
        "alert_meaning.Certificate Revoked": "the {peer:role}'s certificate was revoked by its signer.",
        "alert_meaning.Certificate Unknown": "the {who:role} does not accept the {peer:role}'s certificate, for a reason the alert does not name.",
        "alert_meaning.Unsupported Certificate": "the {peer:role}'s certificate is of a type the {who:role} does not support.",
        "alert_meaning.Handshake Failure": "the {who:role} found no set of security parameters both sides accept (cipher suite, key-exchange group or signature algorithm).",
        "alert_meaning.Protocol Version": "the {who:role} speaks no TLS version the {peer:role} offered (too old, or too new, for it).",
        "alert_meaning.Insufficient Security": "the {who:role} requires stronger ciphers than the {peer:role} offered.",
        "alert_meaning.Unrecognized Name": "the server has no site for the name the client asked for (SNI).",
        "alert_meaning.No application Protocol": "the server speaks none of the application protocols the client offered (ALPN).",
        "alert_meaning.Illegal Parameter": "a field of the {peer:role}'s handshake was out of range or inconsistent with the others.",
        "alert_meaning.Decode Error": "a message of the {peer:role} could not be decoded (malformed, or a wrong length).",
        "alert_meaning.Decrypt Error": "a signature or a Finished of the {peer:role} did not verify (a key that does not match its certificate, or a damaged handshake).",
        "alert_meaning.Unexpected Message": "a message of the {peer:role} came out of order.",
        "alert_meaning.Internal Error": "an error inside the {who:role}'s own software, not caused by the {peer:role}.",
        "alert_meaning.Access Denied": "the {peer:role}'s certificate was valid, but the {who:role}'s access control refused it.",
        "alert_meaning.Certificate Required": "the server requires a client certificate and the client sent none.",
        "alert_meaning.Inappropriate Fallback": "the client retried with a lower TLS version than it supports, and the server, which speaks a higher one, stops what may be a downgrade attack.",
        "alert_meaning.Missing Extension": "a message of the {peer:role} lacks an extension TLS 1.3 requires.",
        "alert_meaning.Unsupported Extension": "a message of the {peer:role} carried an extension that was not offered or not allowed there.",
        "alert_meaning.Bad Record MAC": "a record of the {peer:role} failed its integrity check (damaged on the way, or keys that do not match).",
        "alert_meaning.Record Overflow": "a record of the {peer:role} was longer than TLS allows.",
        "alert_meaning.User Canceled": "the {who:role} cancelled the handshake.",
        "alert_meaning.other": "the alert's name says why.",
        "sni_text": "{sni}",
        "sni_text.none": "the name it asked for",
        "credentials": ", now with its credentials (a Proxy-Authorization header)",
        "challenge": " (Proxy-Authenticate: {challenge}); a client that has credentials asks again with them",
        "no_request.why": (" A client leaves a connection unused so when it gave up on it after the handshake (some "
                           "clients check the server's certificate only after their Finished, and drop a connection "
                           "whose certificate they do not accept) or had opened it in advance and needed it no more."),
        "spare.done": ", completed its TLS handshake (frame {done})",
        "refused.no_psk": ("its ServerHello (frame {evidence}) does not take the session the client offered to "
                           "resume (no pre_shared_key), and early data is accepted only with the session it was "
                           "encrypted for: a full handshake follows"),
        "refused.hello_retry": "it answered with a HelloRetryRequest (frame {evidence}), which always refuses it",
        "refused.tls12": "it chose TLS 1.2 (frame {evidence}), which has no early data",
        "refused.extension": ("its EncryptedExtensions (frame {evidence}, decrypted) lack the early_data extension by "
                              "which a server accepts it"),
        "refused.end_of_early_data": (
            "the client's first encrypted handshake record after the ServerHello (frame {evidence}) has the size of "
            "its Finished, not of an EndOfEarlyData, which a client sends only when its early data was accepted"),
        "refused.resent": ("; the client's record of the same size after the handshake (frame {resent}) is very "
                           "likely the same data sent again"),
        "early.zero_rtt.all": (" The client sent it as TLS 1.3 early data (0-RTT), with its ClientHello, before the "
                               "handshake was done: a resumed session allows it and saves a round trip, so the time "
                               "to first byte includes the server's part of the handshake."),
        "early.zero_rtt.some": (" The client sent {early:n:record} of them as TLS 1.3 early data (0-RTT), with its "
                                "ClientHello, before the handshake was done: a resumed session allows it and saves a "
                                "round trip, so the time to first byte includes the server's part of the handshake."),
        "early.false_start.all": (" The client sent it right after its own Finished, before the server's "
                                  "ChangeCipherSpec and Finished came (TLS False Start): it saves a round trip, so the "
                                  "time to first byte includes the server's part of the handshake."),
        "early.false_start.some": (" The client sent {early:n:record} of them right after its own Finished, before the "
                                   "server's ChangeCipherSpec and Finished came (TLS False Start): it saves a round "
                                   "trip, so the time to first byte includes the server's part of the handshake."),
        "psk.early": ("; it also offers to resume an earlier session (a ticket or pre-shared key) and sends data "
                      "with it, before the handshake is done (TLS 1.3 early data, 0-RTT)"),
        "offer.alpn": " and the application protocols (ALPN) {alpn}",
        "offer.no_alpn": " but no application protocol (no ALPN)",
        "rtt.irtt": "(the iRTT)",
        "rtt.data": "(measured on this connection's data: the iRTT is ambiguous here, see the handshake)",
        "s_text": "and the server's data (frame {s_data}) {s_ms:dur} later (frame {s_ack})",
        "s_text.handshake": "and the server's SYN-ACK (frame {s_data}) {s_ms:dur} later (frame {s_ack})",
        "alpn": ", and the application protocol {chosen_alpn} (ALPN)",
        "trips.1": "TLS 1.3 (or a resumed session) needs one round trip before the first request can go.",
        "trips.2": "TLS 1.2 needs two round trips before the first request can go (TLS 1.3 needs one).",
        "trips.0": ("TLS 1.3 needs one round trip before the first request can go, but this client did not wait: "
                    "it sent data as early data (0-RTT) with its ClientHello."),
        "trips.false_start": ("TLS 1.2 needs two round trips before the first request can go, but this client did "
                              "not wait for the second: it sent data right after its own Finished, before the "
                              "server's (TLS False Start, RFC 7918)."),
        "key.no_keylog": "no key log was given (--keylog FILE, written by browsers and curl when SSLKEYLOGFILE is "
                         "set), so they cannot be read.",
        "key.no_key": "the key log holds no key for this connection, so they cannot be read.",
        "key.unsupported_cipher": "decrypting {cipher} is not supported, so they cannot be read.",
        "key.decrypt_failed": "decryption failed (a wrong key?), so they cannot be read.",
        "key.bytes_lost": "bytes of the stream were lost before the capture point, so decryption stopped.",
        "key.no_client_hello": "the ClientHello is not in the capture, so the key cannot be found.",
        "transfer.many": "the {segments:num} segments took {transfer_ms:dur}",
        "transfer.early": ("its first bytes came last, in frame {first_frame} (resent): the later segments "
                           "(frames {early_frames:frames}) had arrived {early_ms:dur} before and waited for "
                           "them; the {segments:num} segments took {transfer_ms:dur} in all"),
        "answer": " The client answers it with the same ACK again (frame {answer}: a duplicate ACK).",
        "no_content_type": "no Content-Type",
        "why_http.capture ended": "the capture ended first",
        "why_http.one sided": "the capture holds no frame from {server} on this connection: it saw the client's side "
                              "only",
        "incomplete.announced": "its head announced {expected:bytes} of body (Content-Length), and ",
        "incomplete.holes": ("; {holes:bytes} before that never did ({hole_count:n:hole}: lost on the way, or "
                             "missed by the capture)"),
        "incomplete.holes.acked": ("; {holes:bytes} before that never did ({hole_count:n:hole}), yet the {acker:role} "
                                   "acknowledged {holes_acked:bytes} of them (by frame {acked_frame}: relative ack "
                                   "{acked_to}): those reached it and the capture point missed them; the rest were "
                                   "lost on the way, or missed by the capture too"),
        "incomplete.holes.acked.all": ("; {holes:bytes} before that never did ({hole_count:n:hole}), yet the "
                                       "{acker:role} acknowledged all of them (by frame {acked_frame}: relative ack "
                                       "{acked_to}): they reached it and the capture point missed them"),
        "incomplete.unseen": "; the last {unseen:bytes} of it never appeared at all",
        "incomplete.end.reset": ("Then the {ender:role} reset the connection (RST, frame {end_frame}), {end_ms:dur} "
                                 "after the last data."),
        "incomplete.end.closed": ("Then the {ender:role} closed the connection (FIN, frame {end_frame}), "
                                  "{end_ms:dur} after the last data."),
        "incomplete.end.capture": "The capture ended {end_ms:dur} after the last data.",
        "incomplete.end.quiet": ("No frame of this connection comes after frame {quiet_frame} ({end_ms:dur} after the "
                                 "last data; no FIN or RST), though the capture runs {more_ms:dur} longer."),
        "head_only": " (none of it passed the capture point: see below)",
        "why_http.connection closed": "the connection was closed first",
        "why_http.connection reset": "the connection was reset first",
        "why_http.gap": "bytes of it were lost before the capture point",
        "why_http.gap.bytes": ("{lost:bytes} of its body never passed the capture point: the body shown, saved "
                               "or counted lacks them"),
        "why_http.malformed": "it is malformed",
        "why_http.no response": "the server closed without answering",
        "why_http.not HTTP": "the bytes are not HTTP",
        "opts.none": "no options",
        "opts.mss": "MSS {v} (the largest segment it accepts)",
        "opts.wscale": "window scale {v} (x{f})",
        "opts.sack_perm": "SACK permitted",
        "opts.timestamps": "timestamps",
        "opts.join": ", ",
        "opts.lead": "",
    },
    "zh": {
        "why.referer": "Referer: {referer}", "why.linked": "页面中有指向它的链接",
        "why.same_conn": "与页面同一连接、同一主机，没有 Referer",
        "why.window": "与页面同一主机、在 3 秒之内，没有 Referer",
        "side": "爬虫（wget、搜索引擎）会先询问哪些路径允许抓取（robots.txt）；浏览器会自行请求网站图标"
                "（favicon.ico）。它归入与之同来的那次访问。",
        "doubling": "每次等待的时间都是上一次的两倍（重传超时 RTO 的指数退避）。",
        "ttl.odd": ("IP 首部说明了是哪一个：第 {odd} 帧的 TTL 是 {ttl_odd}，而{sender:role}的其他报文都是 {ttl_usual}："
                    "第 {odd} 帧走了另一条路径，或者来自另一台主机。"),
        "ttl.same": "两者的 TTL 都是 {ttl_frame}：从 IP 首部看不出哪一个是真的。",
        "evidence.hop": ("IP 首部也印证了这一点：第 {first_frame} 帧和第 {copy_frame} 帧的 IPv4 标识相同（{id_hex}；"
                         "重新发送的报文会得到新的标识），而副本的 TTL 少 1（先 {ttl_a}，后 {ttl_b}）：抓包在多经过一个"
                         "路由器之后又看到了这个报文。"),
        "evidence.same": ("IP 首部也印证了这一点：第 {first_frame} 帧和第 {copy_frame} 帧的 IPv4 标识相同（{id_hex}；"
                          "重新发送的报文会得到新的标识），TTL 也相同（{ttl_a}）：抓包在同一跳上把它看到了两次"
                          "（两个接口，或双向复制的镜像端口）。"),
        "evidence.id": ("IP 首部也印证了这一点：第 {first_frame} 帧和第 {copy_frame} 帧的 IPv4 标识相同（{id_hex}）；"
                        "重新发送的报文会得到新的标识。"),
        "linear": ("这次等待和上一次一样长，没有翻倍：有些协议栈在最初几次 SYN 重传时保持超时时间不变，之后才开始翻倍"
                   "（Linux 6.5 及以后为 1 秒，见 net.ipv4.tcp_syn_linear_timeouts）。"),
        "linear.again": "这次等待仍和上一次一样长。",
        "icmp.final": "此后没有再发 SYN：这次连接尝试到此结束（客户端的 connect() 立即失败——Linux 收到这种差错时"
                      "就是这样——而不必等待重传超时）。",
        "icmp.retried": "客户端仍然再次发送了 SYN：它的协议栈把这个差错当作暂时的。",
        "tickets.one": "一张票据", "tickets.many": " {count} 张票据",
        "aside": "（其中有 {what}，下面分别说明）",
        "aside.tickets": "{count} 张会话票据", "aside.alerts": "{count} 个警报",
        "qtype_hint.AAAA": "没有 IPv6 地址", "qtype_hint.A": "没有 IPv4 地址",
        "qtype_hint": "没有这种类型的记录",
        "recovery.fast": "接收方的 {dup_acks} 个重复 ACK（第 {dup_frames} 帧）报告了这个空洞，发送方在第 {fill_frame} "
                         "帧重发了缺失的字节（距暴露空洞的报文段 {cost_ms:dur}）：这是快速重传。",
        "recovery.rto": "发送方在第 {fill_frame} 帧重发了缺失的字节，距暴露空洞的报文段 {cost_ms:dur}。",
        "lone.first": "这条应答就是抓包的第一帧，查询在抓包开始之前就已发出。",
        "lone.start": "抓包在这条应答之前 {before_ms:dur}才开始，那时查询已经发出。",
        "lone.lone": "在它之前的 {looked_ms:dur}内没有这个 ID 的查询（抓包没有看到它：走了别的路径，或被过滤掉了；或者根本没人查询）。",
        "lone.used": "客户端用了它：{used_ms:dur}后，它在第 {used_frame} 帧连接了 {server}。",
        "recovery.none": "抓包中没有这些缺失字节的重传。",
        "acked.more": "（共 {unseen_ranges} 段，这是第一段）",
        "loss.acked.part": (
            "{receiver:role}确认了其中抓包里没有任何帧携带的 {acked_bytes:bytes}（序号 {acked_from}–{acked_to}"
            "{ranges_text}），最早在第 {acked_frame} 帧（相对确认号 {acked_ack}）：这部分已经到达{receiver:role}，"
            "是抓包点漏掉了送达的那一份。"),
        "acked.ranges": "，分为 {acked_ranges} 段",
        "acked.hole": "，属于第 {hole_frame} 帧显示的缺口（序号 {hole_from}–{hole_to}）",
        "loss.ooo": "其中一部分先乱序到达（第 {where} 帧：在路上被打乱了顺序，或是被重发）。",
        "loss.dups": "{receiver:role}的重复 ACK（第 {where} 帧）要求补发缺失的字节。",
        "loss.dup": "{receiver:role}的重复 ACK（第 {where} 帧）要求补发缺失的字节。",
        "hole.more.rest": "这一轮之后还有 {count} 个空洞（第 {first} 帧到第 {last} 帧，共 {nbytes:bytes}）。",
        "window_full.ack": "让它继续发送的 ACK 在 {wait_ms:dur}后到达（第 {ack_frame} 帧）。",
        "keepalive.idle": "，距它的上一个报文段（第 {prev_frame} 帧）{idle_ms:dur}",
        "keepalive.ack": "{receiver:role}的 TCP 确认了它（第 {ack_frame} 帧，{ack_ms:dur}后）：连接两端都还在。",
        "keepalive.no_ack": "抓包中此后没有对它的应答。",
        "window_full.no_ack": "抓包中此后没有确认这些字节的 ACK。",
        "hole.more": "第 {frame} 帧又暴露出一个空洞：序号 {lost_from}–{lost_to}（{lost_bytes:bytes}），抓包中后来也没有这些字节。",
        "hole.more.late": "第 {frame} 帧又暴露出一个空洞：序号 {lost_from}–{lost_to}（{lost_bytes:bytes}）；携带这些字节的报文段后来乱序到达。",
        "hole.more.part": "第 {frame} 帧又暴露出一个空洞：序号 {lost_from}–{lost_to}（{lost_bytes:bytes}）；其中一部分字节后来乱序到达。",
        "recovery.late": "缺失的字节后来乱序到达（{late_count} 个报文段，第 {late_text} 帧；第一个在暴露空洞的报文段之后 "
                         "{late_ms:dur}）：是重传的，或是在路上耽搁了。",
        "recovery.late.part": "部分缺失的字节后来乱序到达（{late_count} 个报文段共 {late_bytes:bytes}，第 {late_text} 帧；"
                              "第一个在暴露空洞的报文段之后 {late_ms:dur}）；其余 {never_bytes:bytes}始终没有经过抓包点。",
        "orig.frame": "，是 {waited_ms:dur}前第 {orig_frame} 帧的副本",
        "orig.frame.more": "：先是第 {orig_frame} 帧（{waited_ms:dur}前发出）的 {old_bytes:bytes}，再加上此前从未发送过的 {new_bytes:bytes}",
        "orig.again": "，是第 {orig_frame} 帧（{waited_ms:dur}前首次发送）的第 {resend} 次重发，距上一份（第 {prev_frame} 帧）{gap_ms:dur}",
        "orig.again.doubled": ("，是第 {orig_frame} 帧（{waited_ms:dur}前首次发送）的第 {resend} 次重发，距上一份（第 {prev_frame} "
                               "帧）{gap_ms:dur}，是再前一次等待（{prev_gap_ms:dur}）的两倍：发送方的重传超时每触发一次就翻倍"
                               "（指数退避）"),
        "orig.none": "",
        "cause.rto": "它没有及时得到确认，于是重传定时器（RTO）超时：第一份数据或它的 ACK 在抓包点之后丢失了。",
        "cause.dup": "接收方的重复 ACK 要求重发它。",
        "cause.dup.one": "{receiver:role}的重复 ACK（第 {asked_frames:frames} 帧，ack = {asked_ack}）要求重发它：从相对序号 "
                         "{asked_ack} 开始的字节没有到达。",
        "cause.dup.many": "{receiver:role}的重复 ACK（第 {asked_frames:frames} 帧，ack = {asked_ack}）要求重发它：从相对序号 "
                          "{asked_ack} 开始的字节没有到达。",
        "cause.probe": ("此前它没有得到 ACK，而 {waited_ms:dur}比重传超时通常触发的时间更早（Linux 至少等 200 毫秒，RFC 6298 "
                        "规定 1 秒）：这多半是尾部丢包探测（TLP，RFC 8985），即{sender:role}重发它的最后一个报文段，"
                        "让{receiver:role}的应答说明缺了什么。"),
        "cause.rto.had": "它没有及时得到确认，于是重传定时器（RTO）超时。",
        "spurious.dup": ("{receiver:role}在这份副本之前已经确认过这些字节（第 {acked_frame} 帧），并用一个重复 ACK 回应这份副本"
                         "（第 {dup_after_frames:frames} 帧，ack = {dup_after_ack}）：它收到了两次。"),
        "late.rtt": "，而一次往返只需 {rtt_ms:dur}",
        "late.data": "FIN 之前的 {nbytes:bytes}（{cn_text}首次在第 {firsts:frames} 帧发送）在第 {data_text} 帧重发",
        "late.data.unseen": "FIN 之前的 {nbytes:bytes}（本文件中没有它们更早的副本）在第 {data_text} 帧重发",
        "late.close_notify": "即它的 TLS close_notify，",
        "late.fin": "FIN 本身在第 {fin_text} 帧重发",
        "late.and": "；",
        "dup.after.had": ("{receiver:role}用一个重复 ACK 回应这份副本（第 {dup_after_frames:frames} 帧，ack = "
                          "{dup_after_ack}）：它之前已经确认过这些字节（第 {had_frame} 帧），所以这些字节到达了两次。"
                          "第一份已经到达；{sender:role}没收到的是 ACK（或携带它的应答），它丢失了或来得太晚。"),
        "dup.after": ("{receiver:role}在它之后的重复 ACK（第 {dup_after_frames:frames} 帧，ack = {dup_after_ack}）"
                      "再次确认了这些字节：之前已有一份到达。"),
        "what.bytes": "再次发送 {length:bytes}",
        "what.more": "发送 {length:bytes}，其中一部分是重发",
        "snaplen.no_http": "：所以这条连接上看不到任何 HTTP 请求或响应",
        "stray": "在它之前，客户端发送了 {stray:bytes}，但那不是 HTTP 请求（第 {stray_frames:frames} 帧）：服务器拒绝了它们。",
        "midstream": "它的请求在抓包开始之前就已发出。",
        "unseen": "它的请求不在这份抓包里（或者不是分析器能读懂的 HTTP）。",
        "what.fin": "再次发送它的 FIN",
        "cause.rto.again": "之前的各份仍未得到确认，重传定时器（RTO）再次超时。",
        "resumed.frame": "它在第 {resumed_frame} 帧重新打开窗口，停顿了 {stall_ms:dur}。",
        "resumed.none": "抓包中没有看到窗口重新打开。",
        "resumed.held": "抓包中没有看到窗口重新打开：{sender:role}被挡住了 {stall_ms:dur}，直到抓包结束。",
        "probes": "{sender:role}探测窗口 {probes} 次（第 {probe_frames:frames} 帧），间隔依次为 {probe_gaps:durs}，每次的应答仍然通告窗口为 0。",
        "probes.doubled": ("{sender:role}探测窗口 {probes} 次（第 {probe_frames:frames} 帧），间隔依次为 {probe_gaps:durs}，"
                           "每次都是上一次的两倍（持续定时器按指数退避），每次的应答仍然通告窗口为 0。"),
        "probes.keepalive": ("每个探测报文段都不带数据（0 字节），序号比下一个字节小 1（Wireshark 把它标为 keep-alive，"
                             "即时序图中的「保活」）：它只是让{receiver:role}回答当前的窗口。"),
        "after.frame": "，在第 {after} 帧的数据之后",
        "after.none": "",
        "half.data": "：另一方在此之后还继续发送数据",
        "half.none": "",
        "encoding": "（{codings}；解码后 {decoded_size:bytes}）",
        "before_hole": "（这是重组出的部分；经过抓包点的共有 {received:bytes}，其中一些在一个始终没有补上的空洞之后，见下文）",
        "transfer.one": "响应装在一个报文段里",
        "host_where.sni": "第 {name_frame} 帧的 TLS 服务器名 SNI",
        "what.page": "这是页面本身。",
        "what.other": "这是这次访问所请求的内容；应答（{content_type}）不是 HTML 页面。",
        "what.redirect": "这是这次访问所请求的内容；应答是一个重定向（{status}）。",
        "what.error": "这是这次访问所请求的内容；应答是一个错误（{status}）。",
        "what.none": "这是这次访问所请求的内容；抓包中没有对它的应答。",
        "what.untyped": "这是这次访问所请求的内容；应答没有给出 Content-Type。",
        "what.not_modified": "这是这次访问所请求的内容；应答 304 Not Modified 让客户端使用缓存中的副本。",
        "san": "（名称：{san}）",
        "san.none": "（证书没有列出主题备用名称：浏览器只拿站点名与这些名称比对，不看 CN）",
        "host_where.host": "第 {name_frame} 帧的 Host 头",
        "host_where.address": "URL 给出的是地址",
        "psk": "；它还提出恢复之前的某个会话（票据或预共享密钥）",
        "alert_meaning.Unknown CA": "{who:role}不信任签发{peer:role}证书的机构（自签名证书，或{who:role}上没有安装的私有机构签发的证书）。",
        "alert_meaning.Bad Certificate": (
            "{who:role}无法验证{peer:role}的证书（签名验证不通过；许多实现对任何不接受的证书都发这个警报，比如自签名的证书，"
            "或由它不信任的机构签发的证书）。"),
        "alert_meaning.Certificate Expired": "{peer:role}的证书已过期或尚未生效（任何一方的时钟不对也会这样）。",
        "alert_meaning.Certificate Revoked": "{peer:role}的证书已被签发者吊销。",
        "alert_meaning.Certificate Unknown": "{who:role}不接受{peer:role}的证书，警报没有说明原因。",
        "alert_meaning.Unsupported Certificate": "{peer:role}的证书类型是{who:role}不支持的。",
        "alert_meaning.Handshake Failure": "{who:role}找不到双方都接受的一组安全参数（密码套件、密钥交换组或签名算法）。",
        "alert_meaning.Protocol Version": "{peer:role}提出的 TLS 版本{who:role}一个也不支持（对它来说太旧或太新）。",
        "alert_meaning.Insufficient Security": "{who:role}要求比{peer:role}提出的更强的密码套件。",
        "alert_meaning.Unrecognized Name": "服务器上没有客户端所要的名字（SNI）对应的站点。",
        "alert_meaning.No application Protocol": "客户端提出的应用层协议（ALPN）服务器一个也不支持。",
        "alert_meaning.Illegal Parameter": "{peer:role}握手消息中的某个字段超出范围或与其他字段矛盾。",
        "alert_meaning.Decode Error": "{peer:role}的某条消息无法解码（格式错误或长度不对）。",
        "alert_meaning.Decrypt Error": "{peer:role}的签名或 Finished 验证不通过（密钥与证书不匹配，或握手被破坏）。",
        "alert_meaning.Unexpected Message": "{peer:role}的某条消息顺序不对。",
        "alert_meaning.Internal Error": "{who:role}自身软件内部出错，与{peer:role}无关。",
        "alert_meaning.Access Denied": "{peer:role}的证书有效，但{who:role}的访问控制拒绝了它。",
        "alert_meaning.Certificate Required": "服务器要求客户端证书，而客户端没有发送。",
        "alert_meaning.Inappropriate Fallback": "客户端用比自己所支持的更低的 TLS 版本重试，而服务器支持更高的版本，于是阻止这次可能的降级攻击。",
        "alert_meaning.Missing Extension": "{peer:role}的某条消息缺少 TLS 1.3 要求的扩展。",
        "alert_meaning.Unsupported Extension": "{peer:role}的某条消息带有未经提出或此处不允许的扩展。",
        "alert_meaning.Bad Record MAC": "{peer:role}的某个记录没有通过完整性校验（途中损坏，或双方密钥不一致）。",
        "alert_meaning.Record Overflow": "{peer:role}的某个记录超过了 TLS 允许的长度。",
        "alert_meaning.User Canceled": "{who:role}取消了握手。",
        "alert_meaning.other": "原因见警报的名字。",
        "sni_text": "{sni} ",
        "sni_text.none": "它所要的名字",
        "credentials": "，这次带上了凭据（Proxy-Authorization 头）",
        "challenge": "（Proxy-Authenticate：{challenge}）；有凭据的客户端会带上凭据再请求一次",
        "no_request.why": ("客户端这样闲置一个连接，是因为握手之后它放弃了这个连接（有些客户端在发出自己的 Finished 之后才检查"
                           "服务器的证书，不接受就丢掉这个连接），或者是它预先打开了这个连接、后来又不需要了。"),
        "spare.done": "，完成了 TLS 握手（第 {done} 帧）",
        "refused.no_psk": ("它的 ServerHello（第 {evidence} 帧）没有接受客户端提出恢复的会话（没有 pre_shared_key），"
                           "而早期数据只能随加密它的那个会话一起被接受：接下来是一次完整的握手"),
        "refused.hello_retry": "它回了一个 HelloRetryRequest（第 {evidence} 帧），这总是意味着拒绝早期数据",
        "refused.tls12": "它选择了 TLS 1.2（第 {evidence} 帧），TLS 1.2 没有早期数据",
        "refused.extension": "它的 EncryptedExtensions（第 {evidence} 帧，已解密）中没有表示接受早期数据的 early_data 扩展",
        "refused.end_of_early_data": (
            "客户端在 ServerHello 之后的第一个加密握手记录（第 {evidence} 帧）的大小与它的 Finished 相同，而不是 "
            "EndOfEarlyData 的大小；只有早期数据被接受时，客户端才会发送 EndOfEarlyData"),
        "refused.resent": "；握手之后客户端发出的一个同样大小的记录（第 {resent} 帧）很可能就是同样的数据又发了一遍",
        "early.zero_rtt.all": "客户端把它作为 TLS 1.3 早期数据（0-RTT）随 ClientHello 发出，那时握手尚未完成：恢复会话允许这样做，省去一次往返；所以首字节时间包含了服务器一方的握手。",
        "early.zero_rtt.some": "其中 {early} 个记录作为 TLS 1.3 早期数据（0-RTT）随 ClientHello 发出，那时握手尚未完成：恢复会话允许这样做，省去一次往返；所以首字节时间包含了服务器一方的握手。",
        "early.false_start.all": "客户端在自己的 Finished 之后、服务器的 ChangeCipherSpec 和 Finished 到达之前就发出了它（TLS False Start）：这省去一次往返，所以首字节时间包含了服务器一方的握手。",
        "early.false_start.some": "其中 {early} 个记录是客户端在自己的 Finished 之后、服务器的 ChangeCipherSpec 和 Finished 到达之前发出的（TLS False Start）：这省去一次往返，所以首字节时间包含了服务器一方的握手。",
        "psk.early": "；它还提出恢复之前的某个会话（票据或预共享密钥），并在握手完成之前就随之发送数据（TLS 1.3 早期数据，0-RTT）",
        "offer.alpn": "和应用层协议（ALPN）{alpn}",
        "offer.no_alpn": "，没有提出应用层协议（没有 ALPN）",
        "rtt.irtt": "（iRTT）",
        "rtt.data": "（按这条连接的数据测得：这里的 iRTT 有歧义，见握手一步）",
        "s_text": "服务器的数据（第 {s_data} 帧）在 {s_ms:dur}后被确认（第 {s_ack} 帧）",
        "s_text.handshake": "服务器的 SYN-ACK（第 {s_data} 帧）在 {s_ms:dur}后被确认（第 {s_ack} 帧）",
        "alpn": "，应用层协议为 {chosen_alpn}（ALPN）",
        "trips.1": "TLS 1.3（或恢复的会话）只需一个往返就能发出第一个请求。",
        "trips.2": "TLS 1.2 需要两个往返才能发出第一个请求（TLS 1.3 只需一个）。",
        "trips.0": "TLS 1.3 需要一个往返才能发出第一个请求，但这个客户端没有等待：它随 ClientHello 以早期数据（0-RTT）发出了数据。",
        "trips.false_start": ("TLS 1.2 需要两个往返才能发出第一个请求，但这个客户端没有等第二个往返：它在自己的 Finished "
                              "之后、服务器的 Finished 之前就发出了数据（TLS False Start，RFC 7918）。"),
        "key.no_keylog": "没有提供密钥日志（--keylog FILE；设置 SSLKEYLOGFILE 后，浏览器和 curl 会写出它），因此无法读取。",
        "key.no_key": "密钥日志中没有这个连接的密钥，因此无法读取。",
        "key.unsupported_cipher": "不支持解密 {cipher}，因此无法读取。",
        "key.decrypt_failed": "解密失败（密钥有误？），因此无法读取。",
        "key.bytes_lost": "部分字节在到达抓包点之前丢失，解密因此中止。",
        "key.no_client_hello": "抓包中没有 ClientHello，因此找不到密钥。",
        "transfer.many": "{segments:num} 个报文段用时 {transfer_ms:dur}",
        "transfer.early": ("它开头的字节最后才到，在第 {first_frame} 帧（重传）：后面的报文段（第 {early_frames:frames} 帧）"
                           "早到了 {early_ms:dur}，在那里等着它；{segments:num} 个报文段共用时 {transfer_ms:dur}"),
        "answer": "客户端再次用同样的 ACK 回应（第 {answer} 帧：重复 ACK）。",
        "no_content_type": "没有 Content-Type",
        "why_http.capture ended": "抓包先结束了",
        "why_http.one sided": "抓包中这个连接上没有来自 {server} 的帧：它只看到了客户端这一侧",
        "incomplete.announced": "响应头声明正文有 {expected:bytes}（Content-Length），而",
        "incomplete.holes": "；在此之前有 {holes:bytes}（{hole_count} 个空洞）从未经过抓包点（途中丢失，或抓包漏掉了）",
        "incomplete.holes.acked": ("；在此之前有 {holes:bytes}（{hole_count} 个空洞）从未经过抓包点，但{acker:role}确认了其中的 "
                                   "{holes_acked:bytes}（到第 {acked_frame} 帧为止：相对确认号 {acked_to}）："
                                   "这些字节到达了它，是抓包点漏掉了；其余的在途中丢失，或者同样被抓包漏掉了"),
        "incomplete.holes.acked.all": ("；在此之前有 {holes:bytes}（{hole_count} 个空洞）从未经过抓包点，但{acker:role}"
                                       "确认了全部这些字节（到第 {acked_frame} 帧为止：相对确认号 {acked_to}）："
                                       "它们到达了它，是抓包点漏掉了"),
        "incomplete.unseen": "；最后的 {unseen:bytes}根本没有出现",
        "incomplete.end.reset": "随后{ender:role}重置了连接（RST，第 {end_frame} 帧），距最后的数据 {end_ms:dur}。",
        "incomplete.end.closed": "随后{ender:role}关闭了连接（FIN，第 {end_frame} 帧），距最后的数据 {end_ms:dur}。",
        "incomplete.end.capture": "抓包在最后的数据之后 {end_ms:dur}结束。",
        "incomplete.end.quiet": "第 {quiet_frame} 帧（最后的数据之后 {end_ms:dur}）之后，这个连接再没有任何帧（也没有 FIN "
                                "或 RST），而抓包又持续了 {more_ms:dur}。",
        "head_only": "（一个字节都没有经过抓包点：见下文）",
        "why_http.connection closed": "连接先被关闭了",
        "why_http.connection reset": "连接先被重置了",
        "why_http.gap": "其中一部分字节在抓包点之前丢失",
        "why_http.gap.bytes": "正文中有 {lost:bytes}从未经过抓包点：显示、保存或统计的正文都缺少这些字节",
        "why_http.malformed": "格式有误",
        "why_http.no response": "服务器没有应答就关闭了连接",
        "why_http.not HTTP": "这些字节不是 HTTP",
        "opts.none": "无",
        "opts.mss": "最大报文段长度 MSS {v}（它能接收的最大报文段）",
        "opts.wscale": "窗口缩放因子 {v}（×{f}）",
        "opts.sack_perm": "允许选择确认（SACK）",
        "opts.timestamps": "时间戳选项",
        "opts.join": "、",
        "opts.lead": "",
    },
}

# Headings and labels of the reports.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "fetch": "Fetch", "fetch.page": "Fetch {n}: {url}", "fetch.connection": "Fetch {n}: {url} (a connection, no HTTP seen)",
        "fetch.lookup": "Fetch {n}: lookups of {url} (no connection followed)",
        "fetch.lookup.unread": "Fetch {n}: DNS queries that cannot be read (ID {url}; no connection followed)",
        "fetch.lookup.unread.answer": ("Fetch {n}: DNS messages whose question cannot be read (ID {url}; no connection "
                                       "followed)"),
        "fetch.lookup.arp": "Fetch {n}: ARP for {url} (no connection in this fetch)",
        "fetch.lookup.nd": "Fetch {n}: Neighbor Discovery for {url} (no connection in this fetch)",
        "fetch.lookup.neighbour": "Fetch {n}: ARP and Neighbor Discovery for {url} (no connection in this fetch)",
        "fetch.quic": "Fetch {n}: {url} (QUIC, most likely HTTP/3: encrypted, not decoded)",
        "fetch.quic.decrypted": "Fetch {n}: {url} (HTTP/3 over QUIC, decrypted with the key log)",
        "fetch.tls": "Fetch {n}: {url} (HTTPS, encrypted: no key to see its requests)",
        "fetch.tls.idle": "Fetch {n}: {url} (HTTPS, decrypted with the key log: no request on it)",
        "fetch.tls.failed": "Fetch {n}: {url} (HTTPS: the TLS handshake failed, no request was sent)",
        "fetch.proxy.refused": "Fetch {n}: {url} (through an HTTP proxy, which opened no tunnel: nothing reached the site)",
        "continues": "(continues fetch {n})", "client": "client", "server": "server", "steps": "Steps",
        "summary": "Summary", "waterfall": "Waterfall", "ladder": "Ladder diagram", "time": "time",
        "frame": "frame", "layer": "layer", "step": "step", "dns_time": "DNS lookup",
        "connect_time": "TCP connect", "tls_time": "TLS handshake", "ttfb": "time to first byte",
        "total": "total", "requests": "requests", "connections": "connections", "bytes": "bytes",
        "sent": "client -> server", "received": "server -> client",
        "keep-alive": "persistent connection (keep-alive): several requests per connection",
        "multiplexed": "HTTP/2: several requests at a time on one connection (multiplexed streams)",
        "one connection per request": "one connection per request (short connections)",
        "separate connections": "one request on each connection (none was reused in this capture; no "
                                "Connection: close asked for short connections)",
        "single request": "a single request", "no request": "no HTTP request",
        "not captured": "not in the capture", "requests_per_connection": "requests per connection",
        "dns.none": "none in this fetch (its DNS step says why)",
        "dns.later": "{names}, for a later request: the first needed no lookup",
        "dns.none.open": "none in this fetch: its first request went over a connection already open",
        "dns.none.plain": "none in this fetch",
        "dns.unanswered": "no answer in this fetch (its DNS steps show the queries)",
        "dns.late": "the answer to the {qtype} query for {name} (frame {query}) came {dur} after it (frame "
                    "{answer}), when the client had stopped waiting: it refused that answer (frame {icmp})",
        "dns.late.more": "{n} more answer refused the same way|{n} more answers refused the same way",
        "dns.failed": "failed: {what}",
        "dns.late.also": "{n} answer came too late: {what}|{n} answers came too late: {what}",
        "connect.open": "none in this fetch: connection {stream} was already open",
        "connect.refused": "{dur}, then refused (RST): not connected",
        "tls.failed_after": "{dur}, then failed (an alert): not secured",
        "connect.unanswered": "{dur} of SYNs without a SYN-ACK: not connected",
        "connect.unreachable": "{dur}, then an ICMP error: not connected",
        "no_fetch": "Nothing to show: this capture holds no TCP connection, no DNS query or answer, no ARP or "
                    "Neighbor Discovery from any host.",
        "started": "started", "legend": "d = DNS, c = connect, t = TLS, s = send, w = wait (TTFB), r = receive",
        "ladder.layer.arp": "ARP", "ladder.layer.nd": "Neighbor Discovery", "ladder.layer.dns": "DNS",
        "ladder.layer.tcp": "TCP", "ladder.layer.tls": "TLS", "ladder.layer.http": "HTTP", "ladder.layer.quic": "QUIC",
        "ladder.layer.icmp": "ICMP", "ladder.problem": "a problem (its step says what went wrong)",
        "legend.dns": "DNS", "legend.connect": "connect", "legend.ssl": "TLS", "legend.send": "send",
        "legend.wait": "wait (TTFB)", "legend.receive": "receive",
        "peer": "peer", "request": "request", "status": "status", "http_bytes": "HTTP bytes (heads + bodies)",
        "tcp_bytes": "TCP payload bytes", "dns_lookups": "DNS lookups", "report_title": "Page fetch timeline",
        "generated": "generated by analyzer from", "notes": "Notes", "connection": "connection",
        "breakdown": "Where the time went", "problems": "problems", "retransmitted": "retransmitted",
        "retransmitted_n": "+{n} retransmitted", "time_ms": "time (ms)",
        # where the time went: a part's name in the line of the parts left out
        "part.dns": "DNS lookup", "part.dns_retry": "DNS retry wait", "part.dns_late": "answer too late", "part.syn_retry": "SYN retransmission wait",
        "part.connect": "TCP handshake", "part.tls": "TLS handshake",
        "part.client_dns": "client after the DNS answer", "part.client_dns_arp": "client after the DNS answer",
        "part.client_send": "client before its first data", "part.client_page": "client working on the page",
        "part.server": "server think time", "part.lost_answer": "lost answer", "part.lost_flight": "lost TLS flight", "part.late_synack": "late SYN-ACK",
        "part.loss": "loss recovery", "part.release": "release delayed by resends", "part.retransmission": "retransmission wait",
        "part.syn_unanswered": "unanswered SYNs", "part.race": "Happy Eyeballs wait",
        "part.stall": "Nagle/delayed-ACK stall", "part.expect_wait": "100-continue wait",
        "part.server_encrypted": "server time (estimate)", "part.zero_window": "zero window",
        "part.transfer": "transfer", "part.transfer_encrypted": "transfer", "part.idle": "idle connection",
        "rest.requests": "the sending of the requests", "rest.records": "the sending of the encrypted records",
        "rest.data": "the data the connections carried", "rest.lookups": "the DNS queries",
        "part.idle_data": "idle, waiting for a side", "part.idle_syn": "client before its next connection",
        "part.idle_request": "client before its next request",
        "part.idle_dns": "client before its next lookup",
        "copied_n": "+{n} seen twice by the capture, not resent",
        "failed": "failed", "outcome": "outcome", "frames_shown": "frames", "progress": "frames read",
        "outcome.closed": "closed", "outcome.reset": "reset", "outcome.refused": "refused",
        "outcome.unanswered": "unanswered", "outcome.tls": "TLS failed", "outcome.open": "open", "outcome.midstream": "open before the capture",
        "n.request": "{n} request|{n} requests", "n.connection": "{n} connection|{n} connections", "n.quic": "{n} QUIC connection (UDP)|{n} QUIC connections (UDP)",
        "n.failed": "{n} failed|{n} failed", "n.problem": "{n} problem|{n} problems",
        "error": "error", "fetches": "fetches",
        "header": "client {client}; started {when}",
        "header.server": "client {client}, server {server}; started {when}", "failed_connections": "Failed connections",
        "failed_summary": "{n} connection attempt in this capture failed (refused or unanswered): see the "
                          "fetch below.|{n} connection attempts in this capture failed (refused or unanswered): "
                          "see the fetches below.",
        "deferred": "Also in this capture: ARP/Neighbor Discovery requests only, from {hosts_text} that did "
                    "nothing else ({who}): {numbers}, not shown here; --all shows them.",
        "n.host": "{n} host|{n} hosts",
        "dns.name.once": "{name} ({durs})", "dns.name.times": "{name} {n} times ({durs})",
        "dns.unanswered.short": "no answer",
        "dns.resolutions": "{lookups} of {names}, all for later requests, the first needing none; each from its "
                           "first query to its last answer: {per_name}",
        "dns.resolutions.all": "{lookups} of {names}, each from its first query to its last answer: {per_name}",
        "dns.queries": "{queries}: {lookups} of {names}",
        "n.lookup": "{n} lookup|{n} lookups", "n.name": "{n} name|{n} names", "n.query": "{n} query|{n} queries",
        "deferred.one": "fetch {numbers}",
        "deferred.many": "fetches {numbers}",
    },
    "zh": {
        "fetch": "访问", "fetch.page": "第 {n} 次访问：{url}", "fetch.connection": "第 {n} 次访问：{url}（一个连接，未见 HTTP）",
        "fetch.lookup": "第 {n} 次访问：查询 {url}（之后没有连接）",
        "fetch.lookup.unread": "第 {n} 次访问：无法读取的 DNS 查询（ID {url}；之后没有连接）",
        "fetch.lookup.unread.answer": "第 {n} 次访问：问题无法读取的 DNS 报文（ID {url}；之后没有连接）",
        "fetch.lookup.arp": "第 {n} 次访问：ARP 解析 {url}（这次没有连接）",
        "fetch.lookup.nd": "第 {n} 次访问：邻居发现 {url}（这次没有连接）",
        "fetch.lookup.neighbour": "第 {n} 次访问：ARP 与邻居发现 {url}（这次没有连接）",
        "fetch.quic": "第 {n} 次访问：{url}（QUIC，很可能是 HTTP/3：已加密，未解码）",
        "fetch.quic.decrypted": "第 {n} 次访问：{url}（基于 QUIC 的 HTTP/3，已用密钥日志解密）",
        "fetch.tls": "第 {n} 次访问：{url}（HTTPS，已加密：没有密钥，看不到其中的请求）",
        "fetch.tls.idle": "第 {n} 次访问：{url}（HTTPS，已用密钥日志解密：其中没有请求）",
        "fetch.tls.failed": "第 {n} 次访问：{url}（HTTPS：TLS 握手失败，没有发出请求）",
        "fetch.proxy.refused": "第 {n} 次访问：{url}（经由 HTTP 代理，代理没有打开隧道：没有任何内容到达站点）",
        "continues": "（接续第 {n} 次访问）", "client": "客户端", "server": "服务器", "steps": "步骤",
        "summary": "摘要", "waterfall": "瀑布图", "ladder": "时序图（梯形图）", "time": "时间", "frame": "帧",
        "layer": "层", "step": "步骤", "dns_time": "DNS 查询耗时", "connect_time": "TCP 建连耗时",
        "tls_time": "TLS 握手耗时", "ttfb": "首字节时间", "total": "总耗时", "requests": "请求",
        "connections": "连接", "bytes": "字节", "sent": "客户端 -> 服务器", "received": "服务器 -> 客户端",
        "keep-alive": "持久连接（keep-alive），一个连接承载多个请求",
        "multiplexed": "HTTP/2，一个连接上同时承载多个请求（多路复用的流）",
        "one connection per request": "每个请求一个连接（短连接）", "single request": "单个请求",
        "separate connections": "每个连接上各有一个请求（本次抓包中没有连接被复用；也没有 Connection: close 要求短连接）",
        "no request": "没有 HTTP 请求", "not captured": "抓包中没有", "requests_per_connection": "每个连接的请求数",
        "dns.none": "本次访问没有查询（原因见 DNS 步骤）",
        "dns.later": "查询的是 {names}，供后面的请求使用：第一个请求无需查询",
        "dns.none.open": "本次访问没有查询：第一个请求走的是已经打开的连接",
        "dns.none.plain": "本次访问没有查询",
        "dns.unanswered": "本次访问的查询没有得到应答（见 DNS 步骤）",
        "dns.late": "对 {name} 的 {qtype} 查询（第 {query} 帧）的应答在 {dur}后才到（第 {answer} 帧），"
                    "客户端已不再等待，拒收了这条应答（第 {icmp} 帧）",
        "dns.late.more": "另有 {n} 条应答也这样被拒收",
        "dns.failed": "失败：{what}",
        "dns.late.also": "有 {n} 条应答来得太晚：{what}",
        "connect.open": "本次访问没有建连：连接 {stream} 此前已经打开",
        "connect.refused": "{dur}后被拒绝（RST）：没有连上",
        "tls.failed_after": "{dur}后失败（警报）：没有建立安全连接",
        "connect.unanswered": "发送 SYN {dur}，始终没有 SYN-ACK：没有连上",
        "connect.unreachable": "{dur}后收到 ICMP 差错：没有连上",
        "no_fetch": "没有可显示的内容：此抓包中没有任何主机的 TCP 连接、DNS 查询或应答、ARP 或邻居发现。",
        "started": "开始于", "legend": "d = DNS，c = 建连，t = TLS，s = 发送，w = 等待（TTFB），r = 接收",
        "ladder.layer.arp": "ARP", "ladder.layer.nd": "邻居发现（ND）", "ladder.layer.dns": "DNS",
        "ladder.layer.tcp": "TCP", "ladder.layer.tls": "TLS", "ladder.layer.http": "HTTP", "ladder.layer.quic": "QUIC",
        "ladder.layer.icmp": "ICMP", "ladder.problem": "问题（对应的步骤会说明出了什么错）",
        "legend.dns": "DNS", "legend.connect": "建连", "legend.ssl": "TLS", "legend.send": "发送",
        "legend.wait": "等待（TTFB）", "legend.receive": "接收",
        "peer": "对端", "request": "请求", "status": "状态", "http_bytes": "HTTP 字节数（头部 + 正文）",
        "tcp_bytes": "TCP 载荷字节数", "dns_lookups": "DNS 查询次数", "report_title": "页面访问时间线",
        "generated": "由 analyzer 生成，来源：", "notes": "说明", "connection": "连接",
        "breakdown": "时间都花在哪里", "problems": "问题", "retransmitted": "重传",
        "retransmitted_n": "另有 {n} 字节重传", "time_ms": "时间（毫秒）",
        "part.dns": "域名解析", "part.dns_retry": "DNS 重发等待", "part.dns_late": "来得太晚的应答", "part.syn_retry": "SYN 重传等待", "part.connect": "TCP 握手",
        "part.tls": "TLS 握手", "part.client_dns": "客户端在 DNS 应答之后", "part.client_dns_arp": "客户端在 DNS 应答之后",
        "part.client_send": "客户端发出首批数据之前", "part.client_page": "客户端处理页面", "part.server": "服务器处理",
        "part.lost_answer": "丢失的应答", "part.lost_flight": "丢失的 TLS 握手消息", "part.late_synack": "迟到的 SYN-ACK", "part.loss": "丢包恢复", "part.release": "因重发而推迟的连接释放",
        "part.retransmission": "重传等待", "part.syn_unanswered": "无应答的 SYN", "part.race": "Happy Eyeballs 等待",
        "part.stall": "Nagle 与延迟确认造成的停顿", "part.expect_wait": "等待 100 Continue",
        "part.server_encrypted": "服务器处理（估计）", "part.zero_window": "零窗口", "part.transfer": "传输",
        "part.transfer_encrypted": "传输", "part.idle": "连接空闲",
        "rest.requests": "请求的发送", "rest.records": "加密记录的发送", "rest.data": "连接上传送的数据",
        "rest.lookups": "DNS 查询",
        "part.idle_data": "空闲，等一方继续", "part.idle_syn": "客户端建立下一个连接之前", "part.idle_request": "客户端发出下一个请求之前", "part.idle_dns": "客户端查询下一个名字之前",
        "copied_n": "另有 {n} 字节被抓包重复看到，并非重传",
        "failed": "失败", "outcome": "结果", "frames_shown": "帧", "progress": "已读取帧数",
        "outcome.closed": "已关闭", "outcome.reset": "被重置", "outcome.refused": "被拒绝",
        "outcome.unanswered": "无应答", "outcome.tls": "TLS 失败", "outcome.open": "仍打开", "outcome.midstream": "抓包前已建立",
        "n.request": "{n} 个请求", "n.connection": "{n} 个连接", "n.quic": "{n} 个 QUIC 连接（UDP）", "n.failed": "{n} 个失败",
        "n.problem": "{n} 个问题", "error": "错误", "fetches": "次访问",
        "header": "客户端 {client}；开始于 {when}",
        "header.server": "客户端 {client}，服务器 {server}；开始于 {when}", "failed_connections": "失败的连接",
        "failed_summary": "此抓包中有 {n} 次连接尝试失败（被拒绝或无应答）：详见下面各次访问。",
        "deferred": "此抓包中还有来自 {hosts} 台主机（{who}）的 {n} 组 ARP/邻居发现请求，这些主机没有其他活动；"
                    "它们编号为{numbers}，未显示，加 --all 可显示。",
        "n.host": "{n} 台主机",
        "dns.name.once": "{name}（{durs}）", "dns.name.times": "{name} {n} 次（{durs}）",
        "dns.unanswered.short": "无应答",
        "dns.resolutions": "{names}，共解析 {lookups}，都供后面的请求使用，第一个请求无需查询；每次从第一个查询算到最后一个"
                           "应答：{per_name}",
        "dns.resolutions.all": "{names}，共解析 {lookups}，每次从第一个查询算到最后一个应答：{per_name}",
        "dns.queries": "{queries}：{names}，共解析 {lookups}",
        "n.lookup": "{n} 次", "n.name": "{n} 个名字", "n.query": "{n} 次查询",
        "deferred.one": "第 {numbers} 次访问",
        "deferred.many": "第 {numbers} 次访问",
    },
}


NOTES: dict[str, dict[str, str]] = {
    "en": {
        "note.arp.request": "ARP who has {target}?", "note.arp.reply": "ARP {target} is at {mac}",
        "note.nd.request": "NS: who has {target}?", "note.nd.reply": "NA: {target} is at {mac}",
        "note.nd.request.unicast": "NS (unicast): {target} still there?", "note.nd.reply.nomac": "NA: {target} reachable",
        "note.dns.query": "DNS query {qtype} {qname}", "note.dns.query.again": "DNS query {qtype} {qname} (again)",
        "note.dns.answer": "DNS answer: {what}", "note.dns.answer.truncated": "DNS answer: truncated (TC)",
        "note.http.connect": "CONNECT {target}", "note.http.connect.open": "proxy: tunnel open",
        "note.http.connect.refused": "proxy: {status}",
        "note.quic.initial": "QUIC Initial: ClientHello", "note.quic.initial.sni": "QUIC Initial: ClientHello (SNI {sni})", "note.quic.server": "QUIC: the server's handshake", "note.quic.retry": "QUIC Retry: prove your address (token)",
        "note.quic.retried": "QUIC Initial again, with the token",
        "note.quic.done": "QUIC 1-RTT: handshake done", "note.quic.last": "QUIC: last datagram (encrypted)",
        "note.dns.fragment": "IP fragment (never reassembled)",
        "note.gquic.hello": "gQUIC hello (CHLO)", "note.gquic.hello.sni": "gQUIC hello, CHLO (SNI {sni})",
        "note.gquic.server": "gQUIC: the server's answer (encrypted)", "note.gquic.reject": "gQUIC reject, REJ (in clear)",
        "note.dns.answer.none": "DNS answer: no {qtype} record",
        "note.dns.answer.late": "DNS answer, late: {what}", "note.dns.answer.lone": "DNS answer (query not captured): {what}",
        "note.dns.query.unread": "unreadable DNS query {id_hex}",
        "note.dns.query.unread.malformed": "the message is malformed (its question section does not parse), so the name it asks for is not known",
        "note.dns.query.unread.loop": "the message is malformed (the name in its question has a compression pointer that loops), so the name it asks for is not known",
        "note.dns.query.unread.empty": "it holds no question (its question count is 0), so it asks for no name",
        "note.dns.answer.unread": "DNS answer {id_hex}, question unreadable: {what}",
        "note.dns.answer.unread.loop": "the message is malformed (the name in its question has a compression pointer that loops), so the name it answers for is not known",
        "note.syn": "SYN: handshake 1/3", "note.syn.again": "SYN again (attempt {n})", "note.twice": "seen twice", "note.conflict": "other bytes, same place", "note.keepalive": "keep-alive",
        "note.synack": "SYN-ACK: handshake 2/3", "note.synack.again": "SYN-ACK again",
        "note.ack3": "ACK: handshake 3/3", "note.refused": "RST: connection refused",
        "note.icmp": "{proto} error: {icmp}",
        "note.ack.again": "ACK again (duplicate)",
        "note.fin": "FIN: close {n}/{m}", "note.finack": "FIN+ACK: close {n}/{m}",
        "note.ackfin": "ACK of FIN: close {n}/{m}", "note.fin.plain": "FIN", "note.ackfin.plain": "ACK of FIN",
        "note.fin.again": "FIN again + ACK of FIN (FINs crossed)", "note.ackfin.again": "ACK of FIN again",
        "note.data": "data", "note.nagle": "held by Nagle until the delayed ACK",
        "note.tail": "sent again: first copy most likely lost",
        "note.tls.client_hello": "TLS ClientHello (SNI {sni})", "note.tls.server_hello": "TLS ServerHello ({version})",
        "note.tls.hello_retry": "TLS HelloRetryRequest", "note.tls.done": "TLS handshake done", "note.tls.failed": "TLS handshake failed", "note.tls.ticket": "TLS NewSessionTicket",
        "note.tls.close_notify": "TLS close_notify",
        "note.a.fast": "fast retransmission", "note.a.spurious": "spurious retransmission",
        "note.a.retransmission": "retransmission", "note.a.lost": "previous segment not captured",
        "note.a.ooo": "out of order", "note.a.dup": "duplicate ACK", "note.a.zwp": "zero window probe",
        "note.a.zw": "zero window", "note.a.ack_lost": "ACKs unseen segment", "note.a.keep_alive": "keep-alive",
        "note.a.window_full": "window full",
        "note.skipped": "... {n:n:segment} not shown (frames {a}-{b}: {d:num} with data, {nbytes:bytes}) ...",
        "note.more_records": "{n:n:more record/more records}",
        "note.records_cut": ("and {n:n:record} not in the captured bytes (its header announces {announced} answer "
                             "records; the frame ends before them)"),
        "note.addresses_cut": (" (and {n:n:more record} that the captured bytes do not hold: the answer's header "
                               "announces {announced} answer records, the frame ends before them)"),
    },
    "zh": {
        "note.arp.request": "ARP 询问 {target}", "note.arp.reply": "ARP 应答：{target} 在 {mac}",
        "note.nd.request": "邻居请求：{target}", "note.nd.reply": "邻居通告：{target} 在 {mac}",
        "note.nd.request.unicast": "邻居请求（单播）：{target} 还在吗？", "note.nd.reply.nomac": "邻居通告：{target} 可达",
        "note.dns.query": "DNS 查询 {qtype} {qname}", "note.dns.query.again": "DNS 查询 {qtype} {qname}（重发）",
        "note.dns.answer": "DNS 应答：{what}", "note.dns.answer.truncated": "DNS 应答：截断（TC）",
        "note.http.connect": "CONNECT {target}", "note.http.connect.open": "代理：隧道已打开",
        "note.http.connect.refused": "代理：{status}",
        "note.quic.initial": "QUIC Initial：ClientHello", "note.quic.initial.sni": "QUIC Initial：ClientHello（SNI {sni}）", "note.quic.server": "QUIC：服务器的握手", "note.quic.retry": "QUIC Retry：请证明你的地址（令牌）",
        "note.quic.retried": "再次发送 QUIC Initial，带上令牌",
        "note.quic.done": "QUIC 1-RTT：握手完成", "note.quic.last": "QUIC：最后一个数据报（已加密）",
        "note.dns.fragment": "IP 分片（未能重组）",
        "note.gquic.hello": "gQUIC 问候（CHLO）", "note.gquic.hello.sni": "gQUIC 问候 CHLO（SNI {sni}）",
        "note.gquic.server": "gQUIC：服务器的回应（已加密）", "note.gquic.reject": "gQUIC 拒绝 REJ（明文）",
        "note.dns.answer.none": "DNS 应答：没有 {qtype} 记录",
        "note.dns.answer.late": "DNS 应答（迟到）：{what}", "note.dns.answer.lone": "DNS 应答（查询未抓到）：{what}",
        "note.dns.query.unread": "无法读取的 DNS 查询 {id_hex}",
        "note.dns.query.unread.malformed": "报文格式有误（问题部分无法解析），不知道它查询的是哪个名字",
        "note.dns.query.unread.loop": "报文格式有误（问题中的名字含有循环的压缩指针），不知道它查询的是哪个名字",
        "note.dns.query.unread.empty": "报文中没有问题（问题数为 0），它没有查询任何名字",
        "note.dns.answer.unread": "DNS 应答 {id_hex}（问题无法读取）：{what}",
        "note.dns.answer.unread.loop": "报文格式有误（问题中的名字含有循环的压缩指针），不知道它回答的是哪个名字",
        "note.syn": "SYN：握手 1/3", "note.syn.again": "SYN 重传（第 {n} 次尝试）", "note.twice": "同一报文再次出现", "note.conflict": "同一位置，不同字节", "note.keepalive": "保活",
        "note.synack": "SYN-ACK：握手 2/3", "note.synack.again": "SYN-ACK 重传",
        "note.ack3": "ACK：握手 3/3", "note.refused": "RST：连接被拒绝",
        "note.icmp": "{proto} 差错：{icmp:icmp}",
        "note.ack.again": "再次 ACK（重复）",
        "note.fin": "FIN：挥手 {n}/{m}", "note.finack": "FIN+ACK：挥手 {n}/{m}",
        "note.ackfin": "确认 FIN：挥手 {n}/{m}", "note.fin.plain": "FIN", "note.ackfin.plain": "确认 FIN",
        "note.fin.again": "再发 FIN 并确认 FIN（两端 FIN 交错）", "note.ackfin.again": "再次确认 FIN",
        "note.data": "数据", "note.nagle": "被 Nagle 算法压到延迟 ACK 之后",
        "note.tail": "重发：第一份很可能已丢失",
        "note.tls.client_hello": "TLS ClientHello（SNI {sni}）", "note.tls.server_hello": "TLS ServerHello（{version}）",
        "note.tls.hello_retry": "TLS HelloRetryRequest", "note.tls.done": "TLS 握手完成", "note.tls.failed": "TLS 握手失败", "note.tls.ticket": "TLS 会话票据",
        "note.tls.close_notify": "TLS close_notify",
        "note.a.fast": "快速重传", "note.a.spurious": "伪重传", "note.a.retransmission": "重传",
        "note.a.lost": "前一报文段未捕获", "note.a.ooo": "乱序", "note.a.dup": "重复 ACK",
        "note.a.zwp": "零窗口探测", "note.a.zw": "零窗口", "note.a.ack_lost": "确认了未捕获的报文段",
        "note.a.keep_alive": "保活", "note.a.window_full": "窗口已满",
        "note.skipped": "……省略 {n:num} 个报文段（第 {a}–{b} 帧：{d:num} 个带数据，共 {nbytes:bytes}）……",
        "note.more_records": "另有 {n} 条记录",
        "note.records_cut": "另有 {n} 条记录不在抓到的字节里（报头声明了 {announced} 条应答记录，帧在它们之前就结束了）",
        "note.addresses_cut": "（另有 {n} 条记录不在抓到的字节里：应答的报头声明了 {announced} 条应答记录，帧在它们之前就结束了）",
    },
}


class _Missing:
    """Stands for a fact that is not there, whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return "?"


MISSING = _Missing()


def duration(ms: float, lang: str = "en") -> str:
    """A duration given in ms, in a readable unit: "145 µs", "12.3 ms", "1.006 s", "12 min 5 s", "3 h 07 min",
    "3,948 d 2 h" (a file that joins captures taken years apart)."""
    units = ("µs", "ms", "s", "min", "h", "d") if lang != "zh" else ("微秒", "毫秒", "秒", "分", "小时", "天")
    sep = " "
    if ms < 0:
        ms = 0.0
    if ms < 1:
        us = ms * 1000
        return f"{us:.1f}{sep}{units[0]}" if us < 10 else f"{us:.0f}{sep}{units[0]}"
    if ms < 1000:
        text = f"{ms:.3f}" if ms < 10 else f"{ms:.2f}" if ms < 100 else f"{ms:.1f}"
        return f"{text}{sep}{units[1]}"
    s = ms / 1000
    if s < 120:
        return f"{s:.3f}{sep}{units[2]}"
    if s < 7200:
        return f"{int(s // 60)}{sep}{units[3]}{sep}{s % 60:.0f}{sep}{units[2]}"
    minutes = int(s // 60)
    if minutes < 2880:
        return f"{minutes // 60}{sep}{units[4]}{sep}{minutes % 60:02d}{sep}{units[3]}"
    hours = minutes // 60
    return f"{hours // 24:,}{sep}{units[5]}{sep}{hours % 24}{sep}{units[4]}"


def count(n: int, noun: str, lang: str = "en") -> str:
    """"1 request", "3 requests" (``noun`` "request" or "entry/entries")."""
    one, _, many = noun.partition("/")
    if lang == "zh":
        return f"{n:,}"
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def frames_list(frames: Any, lang: str = "en") -> str:
    """5, 7 and 9 / 5、7 和 9."""
    items = [str(f) for f in (frames if isinstance(frames, (list, tuple)) else [frames])]
    if len(items) > 8:
        items = items[:3] + ["..."] + items[-2:]
    if len(items) <= 1:
        return items[0] if items else ""
    if lang == "zh":
        head = "、".join(items[:-1])
        # a space between a number and 和, none between two Chinese characters ("6.784 秒和 13.537 秒")
        return head + ("和" if head and not head[-1].isascii() else " 和") + \
            (" " if items[-1][:1].isascii() else "") + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]


def options_text(opts: Any, lang: str = "en") -> str:
    """A SYN's options ([(key, value)]) as a list in words."""
    p = PHRASES.get(lang, PHRASES["en"])
    if not opts:
        return p["opts.none"]
    parts = []
    for key, value in opts:
        if key == "wscale":
            parts.append(p["opts.wscale"].format(v=value, f=1 << min(int(value), 14)))
        elif key == "mss":
            parts.append(p["opts.mss"].format(v=value))
        else:
            parts.append(p[f"opts.{key}"])
    return p["opts.lead"] + p["opts.join"].join(parts)


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None or value is MISSING:
            return "?"
        lang = self.lang
        try:
            if format_spec == "dur":
                return duration(float(value), lang)
            if format_spec == "bytes":
                return f"{int(value):,} " + ("字节" if lang == "zh" else ("byte" if int(value) == 1 else "bytes"))
            if format_spec == "num":
                return f"{int(value):,}"
            if format_spec.startswith("n:"):
                return count(int(value), format_spec[2:], lang)
            if format_spec == "role":
                return ROLES.get(lang, ROLES["en"]).get(str(value), str(value))
            if format_spec == "opts":
                return options_text(value, lang)
            if format_spec == "frames":
                return frames_list(value, lang)
            if format_spec == "durs":
                return frames_list([duration(float(v), lang) for v in value], lang)
            if format_spec == "icmp":
                return icmp_name(str(value), lang)
            if format_spec == "phrase":     # a status line's reason phrase after its code: "200 OK"; an empty
                return f" {value}" if value else ""     # one (RFC 9112 allows it) leaves the code alone: "200"
            return format(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


_FORMATTERS = {lang: _Formatter(lang) for lang in LANGS}


class _Facts(dict):
    """Format arguments: a missing fact shows as "?"."""

    def __missing__(self, key: str) -> Any:
        return MISSING


def _phrase(key: str, facts: dict[str, Any], lang: str) -> str:
    table = PHRASES.get(lang, PHRASES["en"])
    text = table.get(key, PHRASES["en"].get(key, ""))
    return _fill(text, facts, lang) if text else ""


# The templates that have derived facts (:func:`_derived` adds phrases made of their facts): only these pay for
# it in :func:`explain`: those named, and every template under a prefix :func:`_derived` tells by its start (a
# new ``http.response.*`` template is one without a line here). Data, not a probe: tests/test_timeline_texts.py
# fails when a template reads derived facts and is not covered here, or is covered and has none.
MORE_HOLES_TOLD = 5     # a loss step tells this many of its episode's other holes one by one, counts the rest
DERIVED_PREFIXES = ("http.response", "tcp.icmp.", "tls.certificate", "tls.client_hello", "tls.done", "tls.exchange",
                    "tls.server_hello")
# the templates that open with "no ARP request / Neighbor Solicitation from the client" ({opener}: in this file before
# frame N, or, when the client sent one earlier, in this fetch)
NONE_FROM_CLIENT = frozenset(f"{layer}.none.{kind}" for layer in ("arp", "nd")
                             for kind in ("unknown", "unknown.link", "nomac", "cached", "cached.none",
                                          "cached.filtered", "cached.filtered.display"))
DERIVED: frozenset[str] = NONE_FROM_CLIENT | frozenset({
    "dns.answer.empty", "dns.tcp.close", "dns.tcp.connect", "dns.tcp.connect.first", "http.incomplete", "http.incomplete.bytes", "http.incomplete.head",
    "http.no_response",
    "http.redirect.followed", "http.request", "http.request.resource", "http.request.side", "http.response", "http.response.error",
    "http.response.not_modified", "http.response.redirect", "http.response.unrequested", "http.wait.server",
    "tcp.acked_unseen.bytes", "tcp.conflict", "tcp.handshake.karn", "tcp.handshake.reordered", "tcp.icmp.other", "tcp.icmp.port", "tcp.icmp.prohibited",
    "tcp.icmp.unreachable", "tcp.loss", "tcp.loss.missed", "tcp.reset", "tcp.retransmission", "tcp.retransmission.spurious",
    "tcp.seen_twice", "tcp.seen_twice.again",
    "tcp.seen_twice.late", "tcp.snaplen", "tcp.spare", "tcp.spare.first", "tcp.syn.retransmission", "tcp.syn.seen_twice",
    "tcp.synack.retransmission", "tcp.synack.seen_twice", "tcp.teardown.half", "tcp.teardown.late", "tcp.teardown.late.fin", "tcp.unanswered.capture_end",
    "tcp.unanswered.capture_end.one",
    "tcp.keepalive", "tcp.unanswered.gave_up", "tcp.window_full", "tcp.zero_window", "tls.certificate", "tls.certificate.decrypted", "tls.client_hello",
    "tls.client_hello.sni", "tls.done.ccs12.client",
    "tls.done.ccs12.server", "tls.done.finished", "tls.done.guess13", "tls.encrypted", "tls.exchange",
    "tls.exchange.h2", "tls.exchange.h2.request", "tls.exchange.h2.server", "tls.exchange.nagle",
    "tls.exchange.request", "tls.exchange.server", "tls.exchange.server.midstream", "tls.exchange.wait",
    "tls.server_hello.12", "tls.server_hello.12.resumed", "tls.server_hello.13", "tls.server_hello.13.resumed",
    "tls.early_data.refused", "tls.ticket", "tls.tickets.inferred", "tls.failed.alert", "tls.failed.encrypted",
    "tls.encrypted.no_request", "http.connect.again", "http.connect.auth", "websocket.session", "websocket.error",
    "websocket.close", "websocket.close.answer", "dns.answer.lone.unread", "quic.gquic.hello",
})


def _derived(template: str, facts: dict[str, Any], lang: str) -> dict[str, Any]:
    """Facts made of phrases: the parts of a sentence that depend on other facts."""
    extra: dict[str, Any] = {}
    if template == "http.request.resource":
        extra["why_text"] = _phrase(f"why.{facts.get('why')}", facts, lang)
    elif template == "http.request":
        extra["what_text"] = _phrase(f"what.{facts.get('answer') or 'page'}", facts, lang)
    elif template == "http.request.side":
        extra["side_text"] = _phrase("side", facts, lang)
    elif template == "tcp.syn.retransmission":
        extra["doubling"] = (_phrase("doubling", facts, lang) if facts.get("doubled") else
                             _phrase(facts["backoff"], facts, lang) if (facts.get("backoff") or "").startswith("linear")
                             else "")
    elif template == "tcp.conflict":
        extra["ttl_text"] = (_phrase("ttl.odd", facts, lang) if facts.get("odd") else
                             _phrase("ttl.same", facts, lang) if facts.get("same_ttl") else "")
    elif template in ("tcp.seen_twice", "tcp.seen_twice.late", "tcp.seen_twice.again", "tcp.syn.seen_twice",
                      "tcp.synack.seen_twice"):
        extra["evidence_text"] = _phrase(f"evidence.{facts['evidence']}", facts, lang) if facts.get("evidence") else ""
        for key in ("copies", "firsts"):
            got = facts.get(key)
            if got:
                extra[key + "_text"] = (frames_list(got, lang) if lang == "zh" else
                                        ("frame " if len(got) == 1 else "frames ") + frames_list(got, lang))
    elif template == "dns.answer.empty":
        extra["qtype_hint"] = _phrase(f"qtype_hint.{facts.get('qtype')}", facts, lang) or _phrase("qtype_hint",
                                                                                                 facts, lang)
    elif template == "tcp.acked_unseen.bytes":
        extra["more_text"] = _phrase("acked.more", facts, lang) if (facts.get("unseen_ranges") or 1) != 1 else ""
        extra["hole_text"] = _phrase("acked.hole", facts, lang) if facts.get("hole_frame") is not None else ""
    elif template in ("tcp.loss", "tcp.loss.missed"):
        missed = template == "tcp.loss.missed"
        key = ("recovery.late.part" if facts.get("never_bytes") else "recovery.late") if facts.get("late_frames") \
            else ("" if missed else "recovery.none") if facts.get("fill_frame") is None else (
            "recovery.fast" if facts.get("fast") else "recovery.rto")
        if key == "recovery.fast" and lang != "zh":        # "frame 37", "frames 37, 39"
            dup_frames = str(facts.get("dup_frames") or "-")
            facts = {**facts, "dup_where": ("frames " if ", " in dup_frames else "frame ") + dup_frames}
        late = facts.get("late_frames") or []
        if late:
            facts = {**facts, "late_text": frames_list(late, lang) if lang == "zh" else
                     ("frame " if len(late) == 1 else "frames ") + frames_list(late, lang)}
        extra["recovery"] = ("" if not key else " " + _phrase(key, facts, lang) if missed and lang != "zh" else
                             _phrase(key, facts, lang))
        if facts.get("acked_frame") is not None and not missed:     # the receiver got part of the hole
            ranges = _phrase("acked.ranges", facts, lang) if (facts.get("acked_ranges") or 1) != 1 else ""
            extra["recovery"] += _phrase("loss.acked.part", {**facts, "ranges_text": ranges}, lang)
        for fkey, phrase in (("ooo_frames", "loss.ooo"), ("dup_list", "loss.dups")):
            got = facts.get(fkey) or []
            if fkey == "dup_list" and len(got) == 1:
                phrase = "loss.dup"
            if got and not (fkey == "dup_list" and key == "recovery.fast"):
                where = frames_list(got, lang) if lang == "zh" else \
                    ("frame " if len(got) == 1 else "frames ") + frames_list(got, lang)
                extra["recovery"] += _phrase(phrase, {**facts, "where": where}, lang)
        holes = facts.get("more_holes") or ()
        for h in holes[:MORE_HOLES_TOLD]:
            extra["recovery"] += _phrase({"all": "hole.more.late", "part": "hole.more.part"}.get(h.get("late"),
                                                                                            "hole.more"), h, lang)
        if len(holes) > MORE_HOLES_TOLD:       # the rest counted, not told one by one (a long lossy burst)
            rest = holes[MORE_HOLES_TOLD:]
            extra["recovery"] += _phrase("hole.more.rest", {"count": len(rest), "first": rest[0]["frame"],
                                                            "last": rest[-1]["frame"],
                                                            "nbytes": sum(h["lost_bytes"] for h in rest)}, lang)
    elif template == "tcp.keepalive":
        probes = facts.get("probe_frames") or []
        extra["probes_text"] = "" if not probes else frames_list(probes, lang) if lang == "zh" else \
            ("frame " if len(probes) == 1 else "frames ") + frames_list(probes, lang)
        extra["idle_text"] = _phrase("keepalive.idle", facts, lang) if facts.get("prev_frame") else ""
        extra["answer_text"] = _phrase("keepalive.ack" if facts.get("ack_frame") else "keepalive.no_ack", facts, lang)
    elif template == "tcp.window_full":
        extra["wait_text"] = _phrase("window_full.ack" if facts.get("ack_frame") else "window_full.no_ack", facts,
                                     lang)
        full = facts.get("full_frames") or []
        extra["frames_text"] = "" if not full else frames_list(full, lang) if lang == "zh" else \
            ("frame " if len(full) == 1 else "frames ") + frames_list(full, lang)
    elif template == "tcp.retransmission":
        again = bool(facts.get("orig_frame") and facts.get("prev_frame"))
        extra["orig"] = _phrase(("orig.again.doubled" if facts.get("doubled") else "orig.again") if again else
                                ("orig.frame.more" if facts.get("new_bytes") else "orig.frame")
                                if facts.get("orig_frame") else "orig.none", facts, lang)
        asked = facts.get("asked_frames")
        extra["cause"] = _phrase(("cause.dup.many" if len(asked) > 1 else "cause.dup.one") if asked else
                                 "cause.probe" if facts.get("probe") else "cause.dup" if facts.get("dup_acks") else
                                 "cause.rto.again" if again else
                                 "cause.rto.had" if facts.get("had_frame") else "cause.rto", facts, lang)
        if facts.get("dup_after_frames"):
            extra["cause"] += _phrase("dup.after.had" if facts.get("had_frame") else "dup.after", facts, lang)
        extra["what"] = _phrase("what.fin" if facts.get("fin") else "what.more" if facts.get("new_bytes") else
                                "what.bytes", facts, lang)
    elif template == "tcp.retransmission.spurious":
        extra["after_text"] = _phrase("spurious.dup", facts, lang) if facts.get("dup_after_frames") \
            and facts.get("acked_frame") else ""
    elif template in ("tcp.teardown.late", "tcp.teardown.late.fin"):
        extra["rtt_text"] = _phrase("late.rtt", facts, lang) if facts.get("rtt_ms") is not None else ""
        parts = []
        for key, frames_key in (("late.data" if facts.get("firsts") else "late.data.unseen", "data_frames"),
                                ("late.fin", "fin_frames")):
            got = facts.get(frames_key) or []
            if got:
                where = frames_list(got, lang) if lang == "zh" else \
                    ("frame " if len(got) == 1 else "frames ") + frames_list(got, lang)
                parts.append(_phrase(key, {**facts, "data_text": where, "fin_text": where,
                                           "cn_text": _phrase("late.close_notify", facts, lang)
                                           if facts.get("close_notify") else ""}, lang))
        extra["what_text"] = _phrase("late.and", facts, lang).join(parts)
        fins = facts.get("fin_frames") or []
        extra["fin_where"] = "" if not fins else frames_list(fins, lang) if lang == "zh" else \
            ("frame " if len(fins) == 1 else "frames ") + frames_list(fins, lang)
    elif template == "tcp.zero_window":
        extra["resumed"] = _phrase("resumed.frame" if facts.get("resumed_frame") else
                                   "resumed.held" if facts.get("stall_ms") else "resumed.none", facts, lang)
        extra["probes_text"] = (_phrase("probes.doubled" if facts.get("doubled") else "probes", facts, lang) +
                                (_phrase("probes.keepalive", facts, lang) if facts.get("keepalive_probes") else "")
                                if facts.get("probes") else "")
    elif template == "tcp.reset":
        extra["after_note"] = _phrase("after.frame" if facts.get("after") else "after.none", facts, lang)
    elif template == "tcp.teardown.half":
        extra["half_note"] = _phrase("half.data" if facts.get("half") else "half.none", facts, lang)
    elif template.startswith("tls.client_hello"):
        extra["psk_note"] = _phrase("psk.early" if facts.get("early_data") else "psk", facts, lang) \
            if facts.get("psk") else ""
        extra["alpn_offer"] = _phrase("offer.alpn" if facts.get("alpn") else "offer.no_alpn", facts, lang)
    elif template.startswith("tls.server_hello"):
        extra["alpn_text"] = _phrase("alpn", facts, lang) if facts.get("chosen_alpn") else ""
    elif template.startswith("tls.done"):
        extra["trips_text"] = _phrase("trips.false_start" if facts.get("false_start") else
                                      f"trips.{facts.get('trips') if facts.get('trips') in (0, 1) else 2}", facts, lang)
    elif template == "tls.failed.alert":
        extra["peer"] = "server" if facts.get("who") == "client" else "client"
        extra["meaning"] = _phrase(f"alert_meaning.{facts.get('description')}", {**facts, **extra}, lang) or \
            _phrase("alert_meaning.other", facts, lang)
    elif template.startswith("websocket."):
        extra.update(_ws_derived(template, facts, lang))
    elif template == "http.connect.again":
        extra["credentials_text"] = _phrase("credentials", facts, lang) if facts.get("credentials") else ""
    elif template == "http.connect.auth":
        extra["challenge_text"] = _phrase("challenge", facts, lang) if facts.get("challenge") else ""
    elif template == "tls.failed.encrypted":
        extra["sni_text"] = _phrase("sni_text" if facts.get("sni") else "sni_text.none", facts, lang)
    elif template == "tls.encrypted.no_request":
        extra["why_text"] = "" if facts.get("spare") else _phrase("no_request.why", facts, lang)
        one = facts.get("first") == facts.get("last")
        extra["where"] = (f"第 {facts.get('first')} 帧" if one else f"第 {facts.get('first')}–{facts.get('last')} 帧") \
            if lang == "zh" else (f"frame {facts.get('first')}" if one else f"frames {facts.get('first')}-{facts.get('last')}")
        parts = [_phrase(f"aside.{k}", {"count": facts[k]}, lang) for k in ("tickets", "alerts") if facts.get(k)]
        extra["aside_text"] = _phrase("aside", {"what": frames_list(parts, lang)}, lang) if parts else ""
    elif template == "tls.encrypted":
        extra["key_text"] = _phrase(f"key.{facts.get('key_problem')}", facts, lang) or str(facts.get("key_note", ""))
        # the records taken for session tickets and alerts (analyzer.timeline.encrypted) are in these counts
        parts = [_phrase(f"aside.{k}", {"count": facts[k]}, lang) for k in ("tickets", "alerts") if facts.get(k)]
        extra["aside_text"] = _phrase("aside", {"what": frames_list(parts, lang)}, lang) if parts else ""
    elif template.startswith("tls.exchange") or template == "tls.tickets.inferred":
        extra.update(_encrypted_derived(facts, lang))
    elif template == "tls.ticket":
        extra["tickets_text"] = _phrase("tickets.many" if (facts.get("count") or 1) > 1 else "tickets.one", facts,
                                        lang)
    elif template.startswith("tls.certificate"):
        extra["san_text"] = _phrase("san" if facts.get("san") else "san.none", facts, lang)
    elif template.startswith("tcp.spare"):
        extra["done_text"] = _phrase("spare.done", facts, lang) if facts.get("done") else ""
    elif template == "tls.early_data.refused":
        extra["refusal"] = _phrase(f"refused.{facts.get('why')}", facts, lang)
        extra["resent_text"] = _phrase("refused.resent", facts, lang) if facts.get("resent") else ""
        got = facts.get("early_frames") or ()
        extra["early_where"] = (f"第 {frames_list(got, lang)} 帧" if lang == "zh" else
                                ("frame " if len(got) == 1 else "frames ") + frames_list(got, lang))
    elif template == "dns.answer.lone.unread":
        extra["lone_text"] = _phrase(f"lone.{facts.get('lone') or 'lone'}", facts, lang)
        extra["used_text"] = _phrase("lone.used", facts, lang) if facts.get("used") else ""
    elif template == "http.redirect.followed":
        extra["host_where"] = _phrase(f"host_where.{facts.get('host_source')}", facts, lang)
    elif template.startswith("tcp.icmp."):
        extra["then_text"] = _phrase("icmp.retried" if facts.get("retried") else "icmp.final", facts, lang)
    elif template in ("tcp.handshake.karn", "tcp.handshake.reordered"):
        extra["s_text"] = _phrase("s_text.handshake" if facts.get("s_handshake") else "s_text", facts, lang)
    elif template == "http.wait.server":
        extra["rtt_src"] = _phrase("rtt.data" if facts.get("on_data") else "rtt.irtt", facts, lang)
    elif template == "tcp.synack.retransmission":
        extra["answer_text"] = _phrase("answer", facts, lang) if facts.get("answer") else ""
    elif template in NONE_FROM_CLIENT:
        extra["opener"] = _phrase(f"none.{'asked' if facts.get('asked_frame') else 'file'}.{template.split('.')[0]}",
                                  facts, lang)
    elif template == "quic.gquic.hello":
        extra["named_text"] = _phrase("gquic.named" if facts.get("uaid") else "gquic.named.sni", facts, lang) \
            if facts.get("sni") else ""
        extra["complete_text"] = _phrase("gquic.complete", facts, lang) if facts.get("complete") else ""
    elif template == "tcp.snaplen":
        extra["no_http_text"] = _phrase("snaplen.no_http", facts, lang) if facts.get("no_http") else ""
    elif template == "http.response.unrequested":
        extra["content_type_text"] = facts.get("content_type") or _phrase("no_content_type", facts, lang)
        extra["cause_text"] = _phrase("stray" if facts.get("stray") else "midstream" if facts.get("midstream")
                                      else "unseen", facts, lang)
    elif template.startswith("http.response"):
        extra["encoding_note"] = (_phrase("encoding", facts, lang) if facts.get("encoded") else "") + (
            _phrase("before_hole", facts, lang) if facts.get("received") else
            _phrase("head_only", facts, lang) if facts.get("head_only") else "")
        extra["transfer_text"] = _phrase("transfer.early" if facts.get("early_frames") else
                                         "transfer.one" if (facts.get("segments") or 1) <= 1 else "transfer.many",
                                         facts, lang)
        extra["content_type_text"] = facts.get("content_type") or _phrase("no_content_type", facts, lang)
    elif template in ("http.incomplete.bytes", "http.incomplete.head"):
        extra["announced_text"] = _phrase("incomplete.announced", facts, lang) if facts.get("expected") is not None \
            else ""
        acked = facts.get("holes_acked")
        extra["holes_text"] = "" if not facts.get("holes") else _phrase(
            "incomplete.holes" if not acked else "incomplete.holes.acked.all" if acked >= facts["holes"]
            else "incomplete.holes.acked", facts, lang)
        unseen = facts.get("unseen")
        extra["unseen_text"] = _phrase("incomplete.unseen", facts, lang) if isinstance(unseen, int) and unseen > 0 \
            else ""
        extra["end_text"] = _phrase(f"incomplete.end.{facts.get('how') or 'capture'}", facts, lang)
    elif template in ("http.no_response", "http.incomplete"):
        why = facts.get("why") or "capture ended"
        if why == "gap" and facts.get("lost"):
            why = "gap.bytes"
        extra["why_text"] = _phrase(f"why_http.{why}", facts, lang) or str(why)
    if template in ("dns.tcp.connect", "dns.tcp.connect.first", "dns.tcp.close", "tcp.unanswered.gave_up", "tcp.unanswered.capture_end",
                    "tcp.unanswered.capture_end.one"):
        extra.setdefault("frames", facts.get("frames") or facts.get("_frames"))
    return extra


_FIELD = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
_CUSTOM = ("dur", "bytes", "num", "role", "opts", "frames", "durs", "icmp", "phrase")
_COMPILED: dict[str, tuple[str, tuple[tuple[str, str, str, bool], ...], str | None]] = {}


def _compile(text: str) -> tuple[str, tuple[tuple[str, str, str, bool], ...], str | None]:
    """The template with each field given a name of its own, (name, fact, spec, custom spec) for each (the
    custom specs are applied before ``str.format_map``, which runs in C, fills the rest), and for a template
    without fields its text as ``format_map`` gives it (None otherwise)."""
    got = _COMPILED.get(text)
    if got is not None:
        return got
    fields: list[tuple[str, str, str, bool]] = []

    def sub(m: re.Match) -> str:
        key, spec = m.group(1), m.group(2) or ""
        name = f"{key}__{len(fields)}"
        custom = spec in _CUSTOM or spec.startswith("n:")
        fields.append((name, key, spec, custom))
        return "{" + name + ("" if custom or not spec else ":" + spec) + "}"

    compiled = _FIELD.sub(sub, text.replace("{{", "\0").replace("}}", "\1"))
    compiled = compiled.replace("{", "{").replace("\0", "{{").replace("\1", "}}")
    literal = None
    if not fields:
        try:
            literal = compiled.format_map({})
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            literal = None
    got = _COMPILED[text] = (compiled, tuple(fields), literal)
    return got


def explain(template: str, facts: dict[str, Any], lang: str = "en", frames: tuple[int, ...] = ()) -> str:
    """The explanation of a step: template ``template`` of language ``lang`` (English if missing)."""
    table = TEMPLATES.get(lang, _EN)
    text = table.get(template) or _EN.get(template)
    if text is None:
        return template
    derived = _IS_DERIVED.get(template)
    if derived is None:             # (a template of the tables: a bounded set)
        derived = _IS_DERIVED[template] = template in DERIVED or template.startswith(DERIVED_PREFIXES)
    if derived:
        args = dict(facts)
        if frames and "frames" not in args:
            args["frames"] = list(frames)
        args.update(_derived(template, args, lang))     # reads with .get (a _Facts copy per step is not needed)
    elif frames and "frames" not in facts and "{frames" in text:
        args = dict(facts)
        args["frames"] = list(frames)
    else:
        args = facts        # _fill only reads them; a template without a {frames} field reads no "frames"
    return _fill(text, args, lang)


_IS_DERIVED: dict[str, bool] = {}   # template -> it has derived facts (DERIVED, DERIVED_PREFIXES)


def _fill(text: str, facts: dict[str, Any], lang: str) -> str:
    """``text`` with its fields filled from ``facts`` as :class:`_Formatter` fills them (a missing fact is "?"),
    through :func:`_compile` and ``str.format_map`` (in C) rather than ``string.Formatter`` (in Python)."""
    compiled, fields, literal = _compile(text)
    if literal is not None:
        return literal
    fmt = _FORMATTERS.get(lang, _FORMATTERS["en"])
    values: dict[str, Any] = {}
    for name, key, spec, custom in fields:
        v = facts.get(key)
        if v is None or v is MISSING:
            values[name] = MISSING
        elif custom:
            values[name] = fmt.format_field(v, spec)
        else:
            values[name] = v
    try:
        return compiled.format_map(values)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        # a fact of an unexpected type for its spec, or a field _compile leaves alone: the slow, general way
        return fmt.vformat(text, (), _Facts(facts))


# the ICMP errors' names (analyzer.timeline.collect.ICMP_TEXT, ICMP6_TEXT) in Chinese
ICMP_ZH = {
    "network unreachable": "网络不可达", "host unreachable": "主机不可达", "protocol unreachable": "协议不可达",
    "port unreachable": "端口不可达", "fragmentation needed": "需要分片", "network administratively prohibited":
    "网络被管理性禁止", "host administratively prohibited": "主机被管理性禁止",
    "communication administratively prohibited": "通信被管理性禁止", "time to live exceeded in transit":
    "传输中 TTL 耗尽", "no route to destination": "没有通往目的地的路由", "address unreachable": "地址不可达",
    "packet too big": "报文过大", "hop limit exceeded in transit": "传输中跳数限制耗尽",
}
_ICMP_OTHER = re.compile(r"(ICMP(?:v6)?) error type (\d+) code (\d+)")


def icmp_name(text: str, lang: str = "en") -> str:
    """An ICMP error's name (``port unreachable``, ``ICMP error type 5 code 1``) in ``lang``."""
    if lang != "zh":
        return text
    other = _ICMP_OTHER.fullmatch(text)
    if other is not None:
        return f"{other[1]} 差错（类型 {other[2]}，代码 {other[3]}）"
    return ICMP_ZH.get(text, text)


def connection_prefix(stream: int, lang: str = "en") -> str:
    """"Connection 2: ", the start of a step that tells one of a fetch's several connections."""
    return f"连接 {stream}：" if lang == "zh" else f"Connection {stream}: "


def note(key: str, facts: dict[str, Any], lang: str = "en") -> str:
    """A short label of the ladder diagram."""
    table = NOTES.get(lang, NOTES["en"])
    text = table.get(key) or NOTES["en"].get(key, key)
    return _fill(text, facts, lang)


def label(key: str, lang: str = "en") -> str:
    """A heading or label of the reports in ``lang``."""
    return LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"].get(key, key)


def names_text(names: Any, lang: str = "en") -> str:
    """A fetch's name resolutions said per name, each with its times ((name, (ms or None, ...)) pairs):
    "upload.example 4 times (1.330 ms, 1.133 ms, 1.188 ms and 1.222 ms), meta.example (820 µs)"."""
    parts = []
    for name, times in names:
        durs = frames_list([duration(t, lang) if t is not None else label("dns.unanswered.short", lang)
                            for t in times], lang)
        parts.append(label("dns.name.once" if len(times) == 1 else "dns.name.times", lang).format(
            name=name, n=len(times), durs=durs))
    return ("；" if lang == "zh" else "; ").join(parts)


def counted(key: str, n: int, lang: str = "en") -> str:
    """A label with a count: "1 request", "4 requests" / "4 个请求"."""
    text = label(key, lang)
    one, _, many = text.partition("|")
    return (one if n == 1 or not many else many).format(n=f"{n:,}")


# -- HTTPS without keys: exchanges inferred from the encrypted records (issue 10; analyzer.timeline.encrypted) --
_EN.update({
    "tls.exchange": (
        "Probably one request and its response (exchange {n}): the client sent {req_records:n:record} "
        "({req_bytes:bytes}, {req_where}{req_note}), then the server sent {resp_records:n:record} "
        "({resp_bytes:bytes}, {resp_where}); its first came {ttfb_ms:dur} after the client's last "
        "(an estimate of the time to first byte){transfer_text}.{ticket_text}{early_text} This is inferred from the "
        "records' directions, sizes and times: without keys the method, URL and status cannot be seen."),
    "tls.exchange.request": (
        "The client sent {req_records:n:record} ({req_bytes:bytes}, {req_where}) and the capture holds no "
        "server record after that: a request whose answer was not captured, or data that needs no answer "
        "(exchange {n}; without keys the content cannot be seen).{early_text}"),
    "tls.exchange.server": (
        "The server sent {resp_records:n:record} ({resp_bytes:bytes}, {resp_where}) with no client "
        "record before them since the last exchange: no answer to a request the capture shows (without keys "
        "their content cannot be seen)."),
    "tls.exchange.server.midstream": (
        "The server sent {resp_records:n:record} ({resp_bytes:bytes}, {resp_where}) before any client record of "
        "this capture: very likely the answer to a request sent before the capture started (without keys its "
        "content cannot be seen)."),
    "tls.exchange.h2": (
        "A burst of {req_records:n:record} from the client ({req_bytes:bytes}, {req_where}), then "
        "{resp_records:n:record} from the server ({resp_bytes:bytes}, {resp_where}), the first "
        "{ttfb_ms:dur} later. {h2_text}, which multiplexes requests, responses and "
        "control frames (SETTINGS, WINDOW_UPDATE, PING) in both directions: bursts are not request/response "
        "pairs, only their directions, sizes and times can be told."),
    "tls.exchange.h2.request": (
        "A burst of {req_records:n:record} from the client ({req_bytes:bytes}, {req_where}) with "
        "no server record after it. {h2_text}, which multiplexes its streams: bursts are not request/response "
        "pairs."),
    "tls.exchange.h2.server": (
        "A burst of {resp_records:n:record} from the server ({resp_bytes:bytes}, {resp_where}). "
        "{h2_text}, which multiplexes its streams: bursts are not request/response pairs, only their "
        "directions, sizes and times can be told."),
    "tls.switched": (
        "From frame {frame} on, this connection very likely no longer speaks HTTP: the client's record there "
        "holds at most {data:bytes} of data ({length} bytes less 17 of TLS 1.3's content type and tag), too few "
        "to start an HTTP/1.x request (the shortest, \"GET / HTTP/1.0\" and its two line ends, is 18). A "
        "connection leaves HTTP so after a 101 Switching Protocols answer, as a WebSocket does: exchange {n} was "
        "very likely that upgrade. After it, {c_records:n:record} ({c_bytes:bytes}) from the client and "
        "{s_records:n:record} ({s_bytes:bytes}) from the server, frames {first}-{last}, are that protocol's "
        "messages, not requests and responses (without keys their content cannot be seen)."),
    "tls.tickets.inferred": (
        "Probably TLS 1.3 session tickets: {count:n:server record} of {lengths} bytes ({where}), sent after "
        "the handshake and before any answer. In TLS 1.3 a NewSessionTicket "
        "travels encrypted, as application data on the wire; these are no response (inferred from when they "
        "came and their sizes)."),
    "tls.alert.inferred": (
        "A record of 19 bytes from the {who:role}: exactly the size of an encrypted TLS 1.3 alert (2 bytes of "
        "alert, its content type and a 16-byte tag), not data. Before a TCP close it is very likely "
        "close_notify (the TLS session ended cleanly)."),
    "tls.exchange.wait": (
        "The server's first record of exchange {n} came {ttfb_ms:dur} after the client's last; about "
        "{rtt_ms:dur} of it is the round trip (iRTT): an estimated {think_ms:dur} of server think time (the "
        "request is encrypted: an estimate from the record times)."),
    "tls.exchange.nagle": (
        "A stall of {gap_ms:dur} before the answer of exchange {n}: the server had sent a small segment (frame "
        "{first}, {first_len:bytes}) and its next data (frame {second}) left only after the client's ACK "
        "(frame {ack_frame}), which came {ack_ms:dur} later (a delayed ACK). Nagle's algorithm allows one small "
        "unacknowledged segment in flight: the wait is Nagle with a delayed ACK, not the server thinking "
        "(inferred from the TCP segments; the records stay unread)."),
    "delay.server_encrypted": (
        "about {ms:dur} of server think time in encrypted exchange {n} (an estimate from the record times)."),
    "delay.transfer_encrypted": "{ms:dur} receiving the answer of encrypted exchange {n} ({size:bytes} of records).",
    "delay.server_encrypted.quiet": (
        "about {ms:dur} of server think time in encrypted exchange {n}: its time to first byte, {ttfb_ms:dur} (the "
        "answer's first record is in frame {frame}), less one round trip, {rtt_ms:dur} (an estimate from the record "
        "times)."),
    "delay.server_encrypted.quiet.many": (
        "about {ms:dur} of server think time in {count:num} encrypted exchanges ({ns:frames}: {waits:durs}; their "
        "answers' first records are in frames {firsts:frames}), each its time to first byte less one round trip "
        "(estimates from the record times)."),
})
_ZH.update({
    "tls.exchange": (
        "很可能是一个请求及其响应（第 {n} 组交换）：客户端发出 {req_records} 个记录（{req_bytes:bytes}，"
        "{req_where}{req_note}），随后服务器发出 {resp_records} 个记录（{resp_bytes:bytes}，{resp_where}）；服务器的第一个"
        "记录在客户端最后一个记录之后 {ttfb_ms:dur}到达（首字节时间的估计）{transfer_text}。{ticket_text}{early_text}这是根据记录的方向、"
        "大小和时间推断的：没有密钥，看不到请求方法、URL 和状态码。"),
    "tls.exchange.request": (
        "客户端发出 {req_records} 个记录（{req_bytes:bytes}，{req_where}），抓包中此后没有服务器的记录：可能是"
        "应答没有被抓到的请求，也可能是不需要应答的数据（第 {n} 组交换；没有密钥，看不到其内容）。{early_text}"),
    "tls.exchange.server": (
        "服务器发出 {resp_records} 个记录（{resp_bytes:bytes}，{resp_where}），自上一组交换以来客户端"
        "没有发出记录：它们不是对抓包中某个请求的应答（没有密钥，看不到其内容）。"),
    "tls.exchange.server.midstream": (
        "服务器在本抓包中客户端的任何记录之前发出 {resp_records} 个记录（{resp_bytes:bytes}，{resp_where}）："
        "很可能是对抓包开始之前发出的某个请求的应答（没有密钥，看不到其内容）。"),
    "tls.exchange.h2": (
        "客户端发出 {req_records} 个记录（{req_bytes:bytes}，{req_where}），随后服务器发出 "
        "{resp_records} 个记录（{resp_bytes:bytes}，{resp_where}），第一个在 {ttfb_ms:dur}之后到达。"
        "{h2_text}；HTTP/2 在两个方向上复用请求、响应和控制帧（SETTINGS、WINDOW_UPDATE、PING）："
        "这些数据突发并不是一问一答，只能看出它们的方向、大小和时间。"),
    "tls.exchange.h2.request": (
        "客户端发出 {req_records} 个记录（{req_bytes:bytes}，{req_where}），此后没有服务器的"
        "记录。{h2_text}；HTTP/2 复用它的各个流：数据突发并不是一问一答。"),
    "tls.exchange.h2.server": (
        "服务器发出 {resp_records} 个记录（{resp_bytes:bytes}，{resp_where}）。{h2_text}；HTTP/2 复用它的"
        "各个流：数据突发并不是一问一答，只能看出它们的方向、大小和时间。"),
    "tls.switched": (
        "从第 {frame} 帧起，这个连接很可能已经不再使用 HTTP：客户端在这一帧的记录最多只能装下 {data:bytes}的数据"
        "（{length} 字节减去 TLS 1.3 的内容类型和认证标签共 17 字节），不足以构成一个 HTTP/1.x 请求的开头"
        "（最短的请求「GET / HTTP/1.0」加上两个换行也有 18 字节）。连接在收到 101 Switching Protocols 应答之后"
        "就会这样离开 HTTP，WebSocket 正是如此：加密交换 {n} 很可能就是这次升级。此后第 {first}–{last} 帧中，"
        "客户端发出的 {c_records} 个记录（{c_bytes:bytes}）和服务器发出的 {s_records} 个记录（{s_bytes:bytes}）"
        "都是那个协议的消息，而不是请求和响应（没有密钥，看不到其内容）。"),
    "tls.tickets.inferred": (
        "很可能是 TLS 1.3 会话票据：服务器发出的 {count} 个记录，长度为 {lengths} 字节（{where}），"
        "在握手之后、任何应答之前发出。TLS 1.3 的 NewSessionTicket 是加密传输的，在线路上看起来就是应用数据；"
        "它们不是响应（根据到达时间和大小推断）。"),
    "tls.alert.inferred": (
        "{who:role}发出一个 19 字节的记录：恰好是一个加密的 TLS 1.3 警报的大小（2 字节警报、内容类型和 16 字节"
        "认证标签），不是数据。在 TCP 关闭之前，它很可能是 close_notify（TLS 会话干净地结束）。"),
    "tls.exchange.wait": (
        "第 {n} 组交换中，服务器的第一个记录在客户端最后一个记录之后 {ttfb_ms:dur}才到达，其中约 {rtt_ms:dur}"
        "是往返时间（iRTT）：估计服务器处理用时 {think_ms:dur}（请求是加密的，这只是根据记录时间的估计）。"),
    "tls.exchange.nagle": (
        "第 {n} 组交换的应答之前停顿了 {gap_ms:dur}：服务器已发出一个小报文段（第 {first} 帧，{first_len:bytes}），"
        "它的下一段数据（第 {second} 帧）直到客户端的 ACK（第 {ack_frame} 帧）之后才发出，而这个 ACK 晚了 "
        "{ack_ms:dur}（延迟确认）。Nagle 算法只允许一个未确认的小报文段在途：这段等待来自 Nagle 与延迟确认，而不是"
        "服务器在处理（根据 TCP 报文段推断，记录本身仍然无法读取）。"),
    "delay.server_encrypted": "第 {n} 组加密交换中，估计服务器处理用时约 {ms:dur}（根据记录时间估计）。",
    "delay.transfer_encrypted": "接收第 {n} 组加密交换的应答用时 {ms:dur}（记录共 {size:bytes}）。",
    "delay.server_encrypted.quiet": (
        "第 {n} 组加密交换中，估计服务器处理用时约 {ms:dur}：首字节时间 {ttfb_ms:dur}（应答的第一个记录在第 {frame} "
        "帧）减去一个往返时间 {rtt_ms:dur}（根据记录时间估计）。"),
    "delay.server_encrypted.quiet.many": (
        "{count} 组加密交换中，估计服务器处理共用时约 {ms:dur}（第 {ns:frames} 组：分别为 {waits:durs}；应答的第一个"
        "记录在第 {firsts:frames} 帧），每组都是首字节时间减去一个往返时间（根据记录时间估计）。"),
})
LABELS["en"].update({
    "n.request.encrypted": "about {n} request (encrypted)|about {n} requests (encrypted)",
    "n.request.encrypted.more": "about {n} more encrypted|about {n} more encrypted",
    "encrypted.mode.mixed": ("HTTP read where it is in clear text; over TLS without a key the requests are inferred "
                             "from the records' directions and times"),
    "n.burst.encrypted": "{n} exchange of encrypted bursts|{n} exchanges of encrypted bursts",
    "n.burst.unanswered": ("{n} more client burst with no answer after it|{n} more client bursts with no answer "
                           "after them"),
    "encrypted.mode": "inferred from the TLS records' directions and times (no key: the HTTP is not seen)",
    "encrypted.mode.h2": "HTTP/2 (ALPN h2): bursts of encrypted records, not request/response pairs",
    "encrypted.mode.h2maybe": "the client offered HTTP/2 (ALPN h2) and the server's choice is encrypted: bursts "
                              "of encrypted records, perhaps not request/response pairs",
    "encrypted.row": "encrypted exchange {n}", "encrypted.status": "enc",
    "ttfb.encrypted": "encrypted exchange {n}: an estimate from the record times",
    "ttfb.encrypted.ticket": "encrypted exchange {n}: an estimate from the record times; {alt} if frame {frame} "
                             "was a session ticket",
})
LABELS["zh"].update({
    "n.request.encrypted": "约 {n} 个请求（加密）",
    "n.request.encrypted.more": "另有约 {n} 个加密请求",
    "encrypted.mode.mixed": "明文的 HTTP 直接读出；没有密钥的 TLS 上的请求由记录的方向和时间推断",
    "n.burst.encrypted": "{n} 组加密的数据往来",
    "n.burst.unanswered": "另有 {n} 次客户端发出的数据没有应答",
    "encrypted.mode": "由 TLS 记录的方向和时间推断（没有密钥，看不到 HTTP）",
    "encrypted.mode.h2": "HTTP/2（ALPN h2），加密记录的数据突发，并非一问一答",
    "encrypted.mode.h2maybe": "客户端提出了 HTTP/2（ALPN h2），而服务器的选择是加密的：加密记录的数据突发，未必是一问一答",
    "encrypted.row": "加密交换 {n}", "encrypted.status": "加密",
    "ttfb.encrypted": "加密交换 {n}：根据记录时间估计",
    "ttfb.encrypted.ticket": "加密交换 {n}：根据记录时间估计；若第 {frame} 帧是会话票据，则为 {alt}",
})


def _encrypted_derived(facts: dict[str, Any], lang: str) -> dict[str, Any]:
    """Frame lists said with their noun ("frame 14", "frames 24, 25 and 27") and the transfer of an answer
    (one segment, or the time its other records took) for the encrypted-exchange templates."""
    out: dict[str, Any] = {}
    for key, frames in (("req_where", facts.get("req_frames")), ("resp_where", facts.get("resp_frames")),
                        ("where", facts.get("frames"))):
        frames = list(dict.fromkeys(frames or ()))     # several records in one frame: the frame once
        if not frames:
            continue
        if lang == "zh":
            out[key] = _fill("第 {f:frames} 帧", {"f": frames}, lang)
        else:
            out[key] = _fill("frame {f:frames}" if len(frames) == 1 else "frames {f:frames}", {"f": frames}, lang)
    if facts.get("alpn_hidden"):
        out["h2_text"] = ("客户端提出了 HTTP/2（ALPN h2），而 TLS 1.3 中服务器的选择是加密的，可能用的是 HTTP/2"
                          if lang == "zh" else "The client offered HTTP/2 (ALPN h2) and in TLS 1.3 the server's choice "
                          "is encrypted: it may be HTTP/2")
    else:
        out["h2_text"] = "这个连接使用 HTTP/2（ALPN h2）" if lang == "zh" else "The connection speaks HTTP/2 (ALPN h2)"
    records = facts.get("req_records")
    if isinstance(records, int) and records > 1:    # several records: a body, or requests sent back to back
        out["req_note"] = ("；可能是带正文的请求，也可能是连续发出的几个请求" if lang == "zh"
                           else "; perhaps a request with a body, or several requests sent back to back")
    else:
        out["req_note"] = ""
    if facts.get("ticket_frame") is not None:       # rule d: the answer's first record may be a session ticket
        out["ticket_text"] = _fill(
            "它的第一个记录（{ticket_bytes:bytes}，第 {ticket_frame} 帧）也可能是一张 TLS 1.3 会话票据：服务器收到客户端的 "
            "Finished 才发票据，而紧跟 Finished 发出的请求会先于票据出发。若是如此，应答从第 {alt_frame} 帧开始，"
            "在请求之后 {ttfb_if_ticket_ms:dur}。" if lang == "zh" else
            " Its first record ({ticket_bytes:bytes}, frame {ticket_frame}) may be a TLS 1.3 session ticket "
            "instead: a server sends its tickets when it gets the client's Finished, and a request sent right "
            "after the Finished leaves before they arrive. If so, the answer began at frame {alt_frame}, "
            "{ttfb_if_ticket_ms:dur} after the request.", facts, lang)
    else:
        out["ticket_text"] = ""
    early = facts.get("early") or 0
    if early:       # request records sent before the handshake was done: TLS 1.3 early data, TLS 1.2 False Start
        kind = "false_start" if facts.get("false_start") else "zero_rtt"
        out["early_text"] = _phrase(f"early.{kind}.{'all' if early >= (facts.get('req_records') or 0) else 'some'}",
                                    facts, lang)
    else:
        out["early_text"] = ""
    if len(facts.get("resp_frames") or ()) <= 1:
        out["transfer_text"] = "，只用了一个报文段" if lang == "zh" else ", in one segment"
    else:
        out["transfer_text"] = _fill("，其余部分用时 {t:dur}" if lang == "zh" else " and the rest took {t:dur}",
                                     {"t": facts.get("transfer_ms")}, lang)
    return out


# -- WebSocket after a 101 (analyzer.apps.websocket; issue 10: every exchange a capture holds is told) ----------
_EN.update({
    "http.switch.websocket": (
        "HTTP response: 101 Switching Protocols, {ttfb_ms:dur} after the request was sent: the server agrees to "
        "switch this connection to WebSocket (RFC 6455; its Sec-WebSocket-Accept answers the client's "
        "Sec-WebSocket-Key, which shows that a WebSocket server read the request). From here on the connection "
        "carries WebSocket frames, not HTTP messages."),
    "websocket.session": (
        "WebSocket messages over {span_ms:dur}: the client sent {c_messages:n:message} ({c_bytes:bytes} of payload "
        "in {c_frames:n:data frame}){mask_text}, the server {s_messages:n:message} ({s_bytes:bytes} in "
        "{s_frames:n:data frame}){ping_text}.{kept_text}"),
    "websocket.error": "The {who:role}'s WebSocket bytes cannot be read from here on: {error_text}.",
    "websocket.close": "The {who:role} closes the WebSocket: a Close frame with {code_text}{reason_text}.",
    "websocket.close.answer": (
        "The {who:role} answers {wait_ms:dur} later with its own Close frame, {code_text}: the closing handshake "
        "is complete, and either side may now close the TCP connection."),
    "websocket.close.none": (
        "No WebSocket Close frame in either direction: the session ended without its closing handshake (the TCP "
        "connection was closed or reset, or the capture ended)."),
})
_ZH.update({
    "http.switch.websocket": (
        "HTTP 响应：101 Switching Protocols，在请求发出后 {ttfb_ms:dur}：服务器同意把这个连接切换为 WebSocket"
        "（RFC 6455；它的 Sec-WebSocket-Accept 对应客户端的 Sec-WebSocket-Key，说明读了这个请求的确实是 WebSocket "
        "服务器）。从这里开始，这个连接承载的是 WebSocket 帧，而不是 HTTP 消息。"),
    "websocket.session": (
        "{span_ms:dur}内的 WebSocket 消息：客户端发送了 {c_messages} 条消息（{c_frames} 个数据帧，载荷 "
        "{c_bytes:bytes}）{mask_text}，服务器发送了 {s_messages} 条消息（{s_frames} 个数据帧，载荷 {s_bytes:bytes}）"
        "{ping_text}。{kept_text}"),
    "websocket.error": "{who:role}的 WebSocket 字节从这里起无法再读：{error_text}。",
    "websocket.close": "{who:role}关闭 WebSocket：发送 Close 帧，{code_text}{reason_text}。",
    "websocket.close.answer": (
        "{who:role}在 {wait_ms:dur}后回以自己的 Close 帧，{code_text}：关闭握手完成，"
        "双方都可以关闭 TCP 连接了。"),
    "websocket.close.none": (
        "两个方向都没有 WebSocket Close 帧：会话没有经过关闭握手就结束了（TCP 连接被关闭或重置，或者抓包结束）。"),
})
PHRASES["en"].update({
    "none.file.arp": "No ARP request from the client in this file before frame {before}",
    "none.asked.arp": ("No ARP request from the client in this fetch (its last one before frame {before} is frame "
                       "{asked_frame}, for {asked_target}, in fetch {asked_fetch})"),
    "none.file.nd": "No Neighbor Solicitation from the client in this file before frame {before}",
    "none.asked.nd": ("No Neighbor Solicitation from the client in this fetch (its last one before frame {before} is "
                      "frame {asked_frame}, for {asked_target}, in fetch {asked_fetch})"),
    "what.websocket": (
        "This is what the fetch asks for: the request asks to switch the connection to WebSocket (Upgrade: "
        "websocket), and the answer agrees."),
    "ws.masked": ", every frame masked with a 4-byte key as RFC 6455 requires of a client",
    "ws.unmasked": ", {unmasked:n:frame} of them unmasked, which RFC 6455 forbids (a server must then close the connection)",
    "ws.client_pings": "; the client sent {c_pings:n:ping} (a check that the other end is still there) and the server answered with {s_pongs:n:pong}",
    "ws.server_pings": "; the server sent {s_pings:n:ping} (a check that the other end is still there) and the client answered with {c_pongs:n:pong}",
    "ws.kept": " The step cites the first {kept} frames; the later ones are counted.",
    "ws.error.reserved_opcode": "a frame with the reserved opcode {value} breaks the framing",
    "ws.error.control_fragmented": "a control frame (opcode {value}) without FIN breaks the framing: control frames are never fragmented",
    "ws.error.control_too_long": "a control frame of {value:bytes} breaks the framing: control frames carry at most 125 bytes",
    "ws.error.bad_length": "a 64-bit payload length with its top bit set breaks the framing",
    "ws.error.lost": "{lost:bytes} of them are missing from the capture, and the frame boundaries after the hole cannot be found",
    "ws.code": "status {code} ({meaning})",
    "ws.code.none": "no status code",
    "ws.reason": " and the reason \"{reason}\"",
    "ws.meaning.1000": "normal closure", "ws.meaning.1001": "going away", "ws.meaning.1002": "protocol error",
    "ws.meaning.1003": "unsupported data", "ws.meaning.1005": "no status code", "ws.meaning.1006": "abnormal closure",
    "ws.meaning.1007": "invalid payload data", "ws.meaning.1008": "policy violation",
    "ws.meaning.1009": "message too big", "ws.meaning.1010": "a required extension missing",
    "ws.meaning.1011": "internal server error", "ws.meaning.1012": "service restart",
    "ws.meaning.1013": "try again later", "ws.meaning.1014": "bad gateway", "ws.meaning.1015": "TLS handshake failure",
    "ws.meaning.app": "a code of the application's own", "ws.meaning.other": "a code RFC 6455 does not define",
})
PHRASES["zh"].update({
    "none.file.arp": "在第 {before} 帧之前，本文件中没有客户端发出的 ARP 请求",
    "none.asked.arp": "本次访问中没有客户端发出的 ARP 请求（第 {before} 帧之前它的最后一个是第 {asked_frame} 帧，询问 {asked_target}，属于第 {asked_fetch} 次访问）",
    "none.file.nd": "在第 {before} 帧之前，本文件中没有客户端发出的邻居请求",
    "none.asked.nd": "本次访问中没有客户端发出的邻居请求（第 {before} 帧之前它的最后一个是第 {asked_frame} 帧，询问 {asked_target}，属于第 {asked_fetch} 次访问）",
    "what.websocket": "这是这次访问所请求的内容：请求要求把连接切换为 WebSocket（Upgrade: websocket），应答同意了。",
    "ws.masked": "，客户端的每一帧都按 RFC 6455 的要求用 4 字节的密钥做了掩码",
    "ws.unmasked": "，其中 {unmasked} 个帧没有掩码，这违反了 RFC 6455（服务器必须随即关闭连接）",
    "ws.client_pings": "；客户端发送了 {c_pings} 个 Ping（询问对方是否还在），服务器回了 {s_pongs} 个 Pong",
    "ws.server_pings": "；服务器发送了 {s_pings} 个 Ping（询问对方是否还在），客户端回了 {c_pongs} 个 Pong",
    "ws.kept": "这一步只引用前 {kept} 个帧，之后的帧只计数。",
    "ws.error.reserved_opcode": "一个使用保留操作码 {value} 的帧破坏了帧结构",
    "ws.error.control_fragmented": "一个没有 FIN 标志的控制帧（操作码 {value}）破坏了帧结构：控制帧从不分片",
    "ws.error.control_too_long": "一个 {value:bytes}的控制帧破坏了帧结构：控制帧最多携带 125 字节",
    "ws.error.bad_length": "一个最高位为 1 的 64 位载荷长度破坏了帧结构",
    "ws.error.lost": "其中 {lost:bytes}没有被抓到，空洞之后找不到帧的边界",
    "ws.code": "状态码 {code}（{meaning}）",
    "ws.code.none": "没有状态码",
    "ws.reason": "，原因「{reason}」",
    "ws.meaning.1000": "正常关闭", "ws.meaning.1001": "离开", "ws.meaning.1002": "协议错误",
    "ws.meaning.1003": "不支持的数据", "ws.meaning.1005": "没有状态码", "ws.meaning.1006": "异常关闭",
    "ws.meaning.1007": "无效的载荷数据", "ws.meaning.1008": "违反策略", "ws.meaning.1009": "消息过大",
    "ws.meaning.1010": "缺少必需的扩展", "ws.meaning.1011": "服务器内部错误", "ws.meaning.1012": "服务重启",
    "ws.meaning.1013": "稍后再试", "ws.meaning.1014": "网关错误", "ws.meaning.1015": "TLS 握手失败",
    "ws.meaning.app": "应用自定义的状态码", "ws.meaning.other": "RFC 6455 未定义的状态码",
})


PHRASES["en"].update({
    "gquic.named": ", which names the site, SNI = {sni}, and the browser, {uaid}",
    "gquic.named.sni": ", which names the site, SNI = {sni}",
    "gquic.complete": (
        " It carries a source-address token (STK) and the ID of the server's config (SCID), both kept from an "
        "earlier connection, and its key share (PUBS): a complete hello, which the server can take at once, "
        "without first rejecting it (REJ) to send its config."),
})
PHRASES["zh"].update({
    "gquic.named": "，其中写明了要访问的站点（SNI = {sni}）和浏览器（{uaid}）",
    "gquic.named.sni": "，其中写明了要访问的站点（SNI = {sni}）",
    "gquic.complete": (
        "它带有源地址令牌（STK）和服务器配置的 ID（SCID），两者都是从之前的连接中保存下来的，还带有它的密钥份额（PUBS）："
        "这是一条完整的问候，服务器可以直接接受，不必先拒绝（REJ）再发送自己的配置。"),
})


def _ws_code_text(facts: dict[str, Any], lang: str) -> str:
    code = facts.get("code")
    if not isinstance(code, int):
        return _phrase("ws.code.none", facts, lang)
    key = f"ws.meaning.{code}" if f"ws.meaning.{code}" in PHRASES["en"] else \
        "ws.meaning.app" if 3000 <= code <= 4999 else "ws.meaning.other"
    return _phrase("ws.code", {"code": code, "meaning": _phrase(key, facts, lang)}, lang)


def _ws_derived(template: str, facts: dict[str, Any], lang: str) -> dict[str, Any]:
    """The phrases of the WebSocket steps (see :func:`_derived`)."""
    out: dict[str, Any] = {}
    if template == "websocket.session":
        out["mask_text"] = _phrase("ws.unmasked", facts, lang) if facts.get("unmasked") else \
            _phrase("ws.masked", facts, lang) if facts.get("c_all") else ""
        out["ping_text"] = "".join(_phrase(f"ws.{who}_pings", facts, lang) for who in ("client", "server")
                                   if facts.get(f"{who[0]}_pings"))
        out["kept_text"] = _phrase("ws.kept", facts, lang) if facts.get("kept") else ""
    elif template == "websocket.error":
        out["error_text"] = _phrase(f"ws.error.{facts.get('error')}", facts, lang)
    elif template in ("websocket.close", "websocket.close.answer"):
        out["code_text"] = _ws_code_text(facts, lang)
        out["reason_text"] = _phrase("ws.reason", facts, lang) if facts.get("reason") else ""
    return out
