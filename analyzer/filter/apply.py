"""Applying a compiled display filter in the commands: to packets, to frames, to transactions.

* Packets (``read``): :func:`matching_packets` (optionally writing their frames); the packets carry every
  field the analyzer can give (:func:`analyzed`), so ``http.*`` and ``tcp.analysis.*`` filters work, and they
  keep the whole capture's values (``tcp.stream``), as tshark prints them with ``-Y``.
* Frames (``conversations``, ``timeline``, ``read -w``), commands that start from the captured frames:
  :func:`matching_frames` decodes and analyses each frame once to evaluate the filter and passes on the frames
  whose packets match, as tshark taps only the packets ``-Y`` displays. The fragments of an IP datagram are
  held back until the frame that completes it: when that packet matches, they go on with it (in frame order),
  so the next stage can still reassemble the datagram.
* Transactions (``http``, ``dns``): :class:`FrameMatcher` remembers which frames matched while the command's
  own pipeline runs; a transaction is shown when one of its frames (request, response) matched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from analyzer.compiled import compiled
from analyzer.decode.packet import Packet
from analyzer.tcp.analysis import seconds

MAX_HELD_FRAGMENTS = 65_536     # fragment frames waiting for their datagram's last frame


def analyzed(frames: Iterable, keylog: Any = None, pipelines: list | None = None,
             headers: bool = False, lines: bool = False, dns_lines: bool = False,
             summary: Any = None, digits: Any = None, verdicts: dict | None = None,
             t0_of: Callable[[int], int] | None = None) -> Iterator[Packet | str]:
    """Packets with every field the analyzer can give them, single-pass as tshark without ``-2``: the
    pipeline (TCP analysis, DNS over TCP, IP reassembly) and the HTTP/DNS/TLS transaction stage, each packet
    handed out once the stages are done with it. ``keylog``: TLS secrets (a KeyLog) to decrypt with;
    ``pipelines`` gets the pipeline (for :func:`conversation_frames`). ``headers``: a TCP segment the tracker
    alone answers for comes as the pipeline's :class:`~analyzer.pipeline.HeaderOnly`, not decoded
    (:meth:`~analyzer.pipeline.Pipeline.feed_headers`; ``HeaderOnly.packet()`` is its packet). ``lines``
    (with ``headers``): only summary lines are made of the packets (``read`` text, and its ``-Y`` when the
    header columns decide the filter): the http layers carry their Info text and no fields, and the DNS
    transaction fields (``dns.time``, ``dns.response_in``...) are not made, nor are UDP conversations kept
    (:class:`UnnumberedUdp`); the lines are the same (tests/test_read_fast_lines.py). ``dns_lines`` (with
    ``lines``, for ``read``'s text lines without -Y, one capture): a DNS datagram whose line needs no decode
    comes as a :class:`~analyzer.report.dns_lines.DnsLine` (its message parsed, not decoded, nor run through
    the pipeline, whose state it would not change: :mod:`analyzer.report.dns_lines`). ``summary`` (with
    ``dns_lines``: ``read``'s :class:`~analyzer.report.summary.Summary`, no interface column) and ``digits`` (the
    time column's decimals when one number for the file, else None): a steady TCP segment (what the tracker's
    compiled ``tcp_steady`` takes) comes as its line, a ``str``, made as the tracker takes it by the compiled
    ``read_steady``, the line ``read`` makes of what ``feed_headers`` gives (tests/test_read_fast_steady_line.py).
    ``verdicts`` (with ``lines`` and ``summary``, for ``read -Y``'s text lines when the header columns decide
    the filter: frame number -> the filter's result, :func:`conversation_frames` fills it): ``read_steady`` is
    asked only for a frame the columns decided; its line comes out when the filter accepted the frame, nothing
    when not (its verdict taken either way); ``t0_of(0)``: the capture's first time, the line's time origin
    (set before the first segment's line, as :func:`~analyzer.cli.read._print_lines` sets it for the first
    packet shown). DNS frames then go through the pipeline (no ``dns_lines``)."""
    from analyzer.apps.transactions import Transactions
    from analyzer.pipeline import Pipeline

    if headers:
        # the pipeline as analyzer.api.packets.analyze makes it (transaction stage inside)
        tx = (Transactions(keep=False, keylog=keylog, dns=False, lines_only=True) if lines
              else Transactions(keep=False, keylog=keylog))
        pipe = Pipeline(transactions=tx, tracker_options={"keep_summaries": False})
        if lines:
            pipe.udp = UnnumberedUdp()
            pipe.timestamps = False         # (no udp.stream either: a line shows neither)
            pipe.frame_times = False        # (not every frame passes feed / feed_headers here)
            if verdicts is None:            # every frame's line made: no filter reads tcp.time_*
                pipe.tcp.timestamps = False
        if pipelines is not None:
            pipelines.append(pipe)
        quick = compiled("quick_tcp")
        if quick is None and (not (lines and dns_lines) or verdicts is not None):
            yield from pipe.run(frames, headers=True)
            return
        # Pipeline.run(headers=True) with each TCP segment's header tuple read by the compiled helper (the tuple
        # quick_headers gives, its address texts from quick's cache; None for the rest, which feed_headers
        # then reads itself: tests/test_read_fast_quick.py)
        from analyzer.flows.quick import _cache, address_pair

        feed_headers = pipe.feed_headers
        if lines and verdicts is not None and quick is not None:
            steady = compiled("read_steady") if summary is not None else None
            args = None if steady is None else _steady_args(pipe, summary, 6 if summary.digits_of is None else (
                summary.digits_of if digits is None else digits))
            if args is not None:
                yield from _decided_steady(frames, pipe, steady, args, verdicts, t0_of)
                return
        if not (lines and dns_lines) or verdicts is not None:
            for frame in frames:
                yield feed_headers(frame, quick(frame, _cache, address_pair), any_segment=True)
            pipe.finish()
            return
        from analyzer.report.dns_lines import dns_line_of

        def counted_dns_line(frame):
            """A DNS frame's line (dns_line_of), counted as feed() counts a frame (nothing else in the pipeline
            depends on this one); None for other frames."""
            res = dns_line_of(frame)
            if res is not None:
                pipe.frames += 1
                if pipe.first_ts_ns is None:
                    pipe.first_ts_ns = frame.ts_ns
            return res

        steady = compiled("read_steady") if summary is not None else None
        args = None if steady is None else _steady_args(pipe, summary, 6 if summary.digits_of is None else (
            summary.digits_of if digits is None else digits))
        if args is not None:
            # read_steady: a steady segment's tracker step and line in one call (its None: quick_tcp's None)
            c, ap, flows, tcp, dns, est, due, deferred, make_handle, summ, dig, ft, pd, keys, http, vis, sas = args
            result = pipe.segment_result
            from functools import partial

            from analyzer.decode import decode

            for frame in frames:
                r = steady(frame, c, ap, flows, tcp, dns, est, due, deferred, make_handle, summ, dig, ft, pd, keys,
                           http, vis, sas)
                if r.__class__ is str:
                    pipe.frames += 1
                    yield r
                    continue
                if r is not None:
                    if len(r) == 3:         # taken; its line is made from what feed_headers would return
                        pipe.frames += 1
                        h, handle, out = r
                        yield result(frame, h, handle or deferred(partial(decode, frame), frame.number), out)
                        continue
                    yield feed_headers(frame, r, any_segment=True)
                    continue
                res = counted_dns_line(frame)
                if res is not None:
                    yield res
                    continue
                yield feed_headers(frame, None, any_segment=True)
            pipe.finish()
            return
        for frame in frames:
            h = None if quick is None else quick(frame, _cache, address_pair)
            if h is None:
                res = counted_dns_line(frame)
                if res is not None:
                    yield res
                    continue
            yield feed_headers(frame, h, any_segment=True)
        pipe.finish()
        return
    # nothing here asks for connection summaries or transaction records afterwards: keep neither, so memory
    # stays bounded by the open connections (the packets' fields are the same)
    tx = Transactions(keep=False, keylog=keylog)
    pipe = Pipeline(sinks=tx.factories, tracker_options={"keep_summaries": False})
    if pipelines is not None:
        pipelines.append(pipe)
    for pkt in pipe.run(frames):
        tx.packet(pkt)
        yield pkt
    tx.finish()


def _decided_steady(frames: Iterable, pipe: Any, steady: Callable, args: tuple, verdicts: dict,
                    t0_of: Callable[[int], int] | None) -> Iterator[Any]:
    """:func:`analyzed`'s loop for ``read -Y``'s text lines (``verdicts``): ``read_steady`` for the frames the
    header columns decided, the line of a segment it answers whole given when the frame matched; the rest as
    :func:`analyzed` without ``summary`` gives them (``feed_headers``)."""
    from functools import partial

    from analyzer.decode import decode
    from analyzer.flows.quick import _cache, address_pair

    c, ap, flows, tcp, dns, est, due, deferred, make_handle, summ, dig, ft, pd, keys, http, vis, sas = args
    result, feed_headers, quick = pipe.segment_result, pipe.feed_headers, compiled("quick_tcp")
    verdict_of, taken = verdicts.get, verdicts.pop
    for frame in frames:
        if summ.t0_ns is None and t0_of is not None:
            summ.t0_ns = t0_of(0)       # the time origin before read_steady makes a line
        if verdict_of(frame.number) is None:    # not decided by the columns: the filter needs the packet
            yield feed_headers(frame, quick(frame, _cache, address_pair), any_segment=True)
            continue
        r = steady(frame, c, ap, flows, tcp, dns, est, due, deferred, make_handle, summ, dig, ft, pd, keys,
                   http, vis, sas)
        if r.__class__ is str:
            pipe.frames += 1
            if taken(frame.number):
                yield r
            continue
        if r is not None and len(r) == 3:       # taken; its line is made from what feed_headers would return
            pipe.frames += 1
            h, handle, out = r
            yield result(frame, h, handle or deferred(partial(decode, frame), frame.number), out)
            continue
        yield feed_headers(frame, r, any_segment=True)
    pipe.finish()


def _steady_args(pipe: Any, summary: Any, digits: Any) -> tuple | None:
    """The arguments after the frame of the compiled ``read_steady`` (analyzer/columnar/_speedups.c: a steady TCP
    segment through the tracker and its line in one call) for the pipeline's tracker and HTTP tracker and
    ``read``'s :class:`~analyzer.report.summary.Summary` (``digits``: the time column's decimals, an int or a
    callable of the frame); None where it is not used (no compiled helper, no TCP analysis, an interface
    column)."""
    from functools import partial

    from analyzer.decode import decode
    from analyzer.decode.decode_as import DNS_TCP_PORTS
    from analyzer.flows.quick import _cache, address_pair
    from analyzer.report import summary as lines
    from analyzer.report.safe import visible
    from analyzer.tcp import connection
    from analyzer.tcp.reassembly import Deferred

    tcp, tx = pipe.tcp, pipe.transactions
    if (tcp is None or connection.steady_compiled is None or connection.analyze_compiled is None
            or not tcp.analysis or lines._TCP_LINE is None or summary.interface_width or tx is None
            or tx.http is None):
        return None

    # the frame's handle, Deferred(partial(decode, frame), frame.number): made by read_steady itself
    make_handle = (partial, decode)
    return (_cache, address_pair, tcp.flows._map, tcp, DNS_TCP_PORTS if pipe.dns_over_tcp else frozenset(),
            connection._ESTABLISHED, connection.SinksDue, Deferred, make_handle, summary, digits,
            lines._FLAGS_TEXT, lines._TCP_PORT_DECODERS, lines._ANALYSIS_KEY_TUPLE, tx.http, visible,
            connection._STEADY_STATES)


class UnnumberedUdp:
    """The pipeline's UDP table when only summary lines are made (:func:`analyzed` with ``lines``): no line
    shows ``udp.stream`` or a UDP conversation's counters, so none is kept (a capture's UDP conversations,
    one per DNS query port, were all held to the end: ~10,000 per 100,000 frames of web traffic). Every
    datagram gets conversation 0."""

    def __init__(self) -> None:
        from analyzer.flows.udp import UdpConversation

        self.conversation = UdpConversation(0, ("", 0), ("", 0), 0, 0, False)
        self.conversations: list = []

    def datagram(self, ts: int, num: int, src: Any, sport: int, dst: Any, dport: int, payload_len: int,
                 frame_len: int, count: bool = True) -> tuple[Any, int]:
        return self.conversation, 0

    def summaries(self, release: bool = False) -> list[dict[str, Any]]:
        return []


def select(frames: Iterable, keep: Callable[[Packet], bool], keylog: Any = None,
           pipelines: list | None = None, headers: bool = False, lines: bool = False,
           steady: tuple | None = None) -> Iterator[tuple[Packet | str, list]]:
    """Each packet ``keep`` accepts, with the captured frames it stands for: its own, and for a datagram
    reassembled from IP fragments, the fragments' frames held back until then (in frame order). Packets come
    out as :func:`analyzed` gives them: their fields are the whole capture's (``tcp.stream``, analysis flags),
    not those of the selection. ``headers``: see :func:`analyzed` (``keep`` is then given a
    :class:`~analyzer.pipeline.HeaderOnly` too: :func:`decided_filter` answers it). ``steady`` (with
    ``lines``: read's text lines): (summary, digits, verdicts, t0_of) for :func:`analyzed`, whose ``str`` lines
    of matching steady segments come with no frames (nothing writes them)."""
    selector = Selector(keep)
    push, header_only, keep = selector.push, selector.header_only, selector.keep
    extra = {} if steady is None else dict(zip(("summary", "digits", "verdicts", "t0_of"), steady, strict=True))
    for pkt in analyzed(frames, keylog, pipelines, headers, lines, **extra):
        if pkt.__class__ is header_only:        # Selector.push's first case, without the call
            if keep(pkt):
                yield pkt, [pkt.frame]
        elif pkt.__class__ is str:              # its frame matched (analyzed gives no other line)
            yield pkt, []
        else:
            yield from push(pkt)


class Selector:
    """:func:`select` one packet at a time: :meth:`push` takes each analysed packet in capture order and
    returns the (packet, frames) pairs it releases (none, or one)."""

    def __init__(self, keep: Callable[[Packet], bool]):
        from analyzer.pipeline import HeaderOnly, ReassembledPacket

        self.keep = self._keep_shown
        self._filter = keep
        self.shown: int | None = None       # the time of the last packet the filter let through
        self.held: dict[int, Any] = {}
        self.header_only, self.reassembled = HeaderOnly, ReassembledPacket

    def _keep_shown(self, pkt: Packet) -> bool:
        """The filter's verdict on ``pkt``, with its ``frame.time_delta_displayed`` first made the time since
        the previous packet shown (0 for the first one), as tshark's ``-Y`` has it (the filter may test it)."""
        layers = getattr(pkt, "layers", None)      # (a HeaderOnly has none: only read's text lines show it)
        f = layers[0].fields if layers else None
        ts = pkt.frame.ts_ns
        if f is not None and "frame.time_delta_displayed" in f:
            f["frame.time_delta_displayed"] = seconds(ts - self.shown if self.shown is not None else 0)
            pkt._flat = None
        if self._filter(pkt):
            self.shown = ts
            return True
        return False

    def push(self, pkt: Packet) -> list[tuple[Packet, list]]:
        keep, held = self.keep, self.held
        if pkt.__class__ is self.header_only:   # one whole TCP segment: no fragment
            return [(pkt, [pkt.frame])] if keep(pkt) else []
        if isinstance(pkt, self.reassembled):
            if keep(pkt):
                numbers = pkt.get("ip.fragment") or pkt.get("ipv6.fragment") or []
                own = []
                for number in numbers if isinstance(numbers, list) else [numbers]:
                    frame = held.pop(number, None)
                    if frame is not None:
                        own.append(frame)
                own.append(pkt.wire_frame)
                return [(pkt, own)]
            return []
        if _is_fragment(pkt):
            if keep(pkt):
                return [(pkt, [pkt.frame])]
            if len(held) >= MAX_HELD_FRAGMENTS:
                del held[next(iter(held))]
            held[pkt.frame.number] = pkt.frame
            return []
        if keep(pkt):
            return [(pkt, [pkt.frame])]
        return []


def matching_frames(frames: Iterable, keep: Callable[[Packet], bool], keylog: Any = None) -> Iterator:
    """The frames (as captured) whose packets ``keep`` accepts, in capture order (see :func:`select`)."""
    for _pkt, own in select(frames, keep, keylog):
        yield from own


def matching_packets(frames: Iterable, keep: Callable[[Packet], bool], writer=None,
                     keylog: Any = None, pipelines: list | None = None, headers: bool = False,
                     lines: bool = False, steady: tuple | None = None) -> Iterator[Packet | str]:
    """The packets ``keep`` accepts (see :func:`select`); with a capture ``writer``, their frames are written
    as they go by (``read -Y F -w OUT``). ``headers``: see :func:`analyzed`: a segment run from its headers
    comes out as a :class:`~analyzer.pipeline.HeaderOnly` (``keep`` from :func:`decided_filter`). ``lines``:
    see :func:`analyzed` (``keep`` must then read header fields only). ``steady``: see :func:`select` (a
    matching steady segment may then come as its line, a ``str``)."""
    for pkt, own in select(frames, keep, keylog, pipelines, headers, lines, steady):
        if writer is not None:
            for frame in own:
                writer.write(frame)
        yield pkt


def conversation_frames(batches: Iterable, never, pipelines: list, count: int | None = None,
                        first: list | None = None, vector=None, verdicts: dict | None = None) -> Iterator:
    """The frames of ``batches`` (:meth:`analyzer.capture.CaptureReader.batches`) but those of conversations
    the filter can never match (``never``: a :class:`analyzer.filter._vector.ConversationFilter`), for
    :func:`matching_packets` when only the matching packets' text lines are shown or their frames written
    (``read -Y``, ``read -Y -w`` from a classic pcap): a left-out
    conversation is neither decoded nor analysed, and nothing shown depends on it — TCP analysis, reassembly,
    HTTP, TLS and DNS state belong to one conversation; what is not the same is only what ``read -Y`` does
    not print (``tcp.stream``/``udp.stream`` numbers), and the bounded memories shared by all conversations
    (the port-reuse memory, ``--max-reassembly``), which fill more slowly. The TCP tracker's idle sweep runs
    at the left-out segments where it would have run (``pipelines[0]``: the pipeline :func:`analyzed` made),
    so connections finish at the same segments. ``count``: stop after that many frames (left-out ones
    count, as -c counts frames read); ``first`` gets the first frame's time. With ``vector`` (the filter's
    :class:`analyzer.filter._vector.VectorFilter`), ``verdicts`` gets the filter's result for each frame passed on
    that the header columns decide (frame number -> bool), for :func:`decided_filter`."""
    import numpy as np

    from analyzer.columnar.headers import KIND_TCP, parse

    for batch in batches:
        n = len(batch)
        if not n:
            continue
        if first is not None and not first:
            first.append(int(batch.ts_ns[0]))
        if count is not None:
            n = min(n, count - batch.first_number + 1)
            if n <= 0:
                return
        c = parse(batch)
        skip = never.never(batch, c)[:n]
        if vector is not None and verdicts is not None:
            result, decided = vector.mask(batch, c)
            base = batch.first_number
            verdicts.update(zip((np.flatnonzero(decided[:n] & ~skip) + base).tolist(),
                                result[:n][decided[:n] & ~skip].tolist(), strict=True))
        frames = _frames_of(batch, n)
        if not skip.any():
            yield from frames
            continue
        tracker = pipelines[0].tcp if pipelines else None
        kinds = c.kind[:n].tolist()
        for i, (left_out, ts, frame) in enumerate(zip(skip.tolist(), batch.ts_ns[:n].tolist(), frames, strict=True)):
            if not left_out:
                yield frame
            elif tracker is not None and kinds[i] == KIND_TCP:
                tracker.tick(ts)


def _frames_of(batch, n: int) -> Iterator:
    """The first ``n`` frames of ``batch``, each as ``batch.frame(i)`` makes it (its columns read as lists
    once, not element by element)."""
    from analyzer.capture.frame import Frame

    data = batch.data
    first = batch.first_number
    iface, names = batch.iface, batch.iface_name
    for i, (off, cap, orig, ts, lt) in enumerate(zip(batch.offset[:n].tolist(), batch.caplen[:n].tolist(),
                                                     batch.origlen[:n].tolist(), batch.ts_ns[:n].tolist(),
                                                     batch.linktype[:n].tolist(), strict=True)):
        yield Frame(first + i, ts, orig, None if iface is None else iface[i], lt, data[off:off + cap],
                    None if names is None else names[i])


def decided_filter(keep: Callable[[Packet], bool], verdicts: dict) -> Callable[[Packet], bool]:
    """``keep``, answered from ``verdicts`` (frame number -> result, filled by :func:`conversation_frames` from
    the header columns) where the columns decided the frame: its packet is then neither flattened nor tested
    (the vector filter gives what ``keep`` gives on those frames: tests/test_filter_vector.py). A packet
    reassembled from IP fragments is never decided there (fragments are not), and goes to ``keep``; so does a
    :class:`~analyzer.pipeline.HeaderOnly` the columns did not decide, as its packet."""
    from analyzer.pipeline import HeaderOnly

    pop = verdicts.pop

    def match(pkt: Packet) -> bool:
        verdict = pop(pkt.frame.number, None)
        if verdict is not None:
            return verdict
        return keep(pkt.packet() if pkt.__class__ is HeaderOnly else pkt)
    return match


def _is_fragment(pkt: Packet) -> bool:
    """An IPv4 fragment (MF or an offset) or a packet with an IPv6 fragment header, read from the layers
    (flattening every field of the packet for this would cost more than the test)."""
    for layer in pkt.layers:
        name = layer.name
        if name == "ip":
            f = layer.fields
            if f.get("ip.flags.mf") or f.get("ip.frag_offset"):
                return True
        elif name == "ipv6.fraghdr":
            return True
    return False


class FrameMatcher:
    """Call it with each packet after the command's pipeline (and ``Transactions.packet``) has seen it;
    ``numbers`` holds the frame numbers the filter accepted. ``keep`` None accepts everything."""

    __slots__ = ("keep", "numbers")

    def __init__(self, keep: Callable[[Packet], bool] | None):
        self.keep = keep
        self.numbers: set[int] = set()

    def __call__(self, pkt: Packet) -> None:
        if self.keep is not None and self.keep(pkt):    # no filter: any() says yes, nothing to remember
            self.numbers.add(pkt.frame.number)

    def any(self, *frames: int | None) -> bool:
        """Did any of these frames match? (``keep`` None: always.)"""
        if self.keep is None:
            return True
        return any(n in self.numbers for n in frames if n is not None)
