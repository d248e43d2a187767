"""Mutated TLS fixtures through the capture commands with their key logs, in-process: the fixtures of
tests/fixtures/tls that carry TLS 1.3 early data (accepted, refused), TLS 1.2 False Start, HTTP/2 and a
browser's spare connection, with 1-3 mutations each (a frame dropped, duplicated, swapped with the next,
re-stamped as the one before; the capture cut; bytes past the headers flipped), through timeline (text, --json,
zh, --all), http, har, report, read -V and export-objects (fuzz.targets.run_command: exit 0, 1 or 2, or a
failure, whose input is kept in /tmp/mutate-fixtures-failures).

    python -m fuzz.mutate_fixtures [SEED] [SECONDS]
"""

import random
import sys
import time
import traceback
from pathlib import Path

from analyzer.capture import open_capture
from fuzz.hostile import pcap
from fuzz.targets import _clean, _work, run_command

FIX = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tls"
NAMES = ["tls13_early_data", "tls13_early_data_h2", "tls13_early_data_h2_rejected", "tls13_early_data_partial_rejected",
         "tls13_early_data_rejected", "tls12_false_start", "tls13_chromium_spare_first", "tls13_h2"]
CMDS = [["timeline", "{in}", "--keylog", "{k}"], ["timeline", "{in}", "--json", "--keylog", "{k}"],
        ["timeline", "{in}", "--lang", "zh", "--keylog", "{k}"], ["http", "{in}", "--keylog", "{k}"],
        ["http", "{in}", "--json", "--keylog", "{k}"], ["har", "{in}", "-o", "{w}/x.har", "--keylog", "{k}"],
        ["read", "{in}", "-V", "--keylog", "{k}"], ["export-objects", "{in}", "{w}/objects", "--keylog", "{k}"],
        ["report", "{in}", "-o", "{w}/x.html", "--keylog", "{k}"], ["timeline", "{in}", "--all", "--keylog", "{k}"]]
rng = random.Random()


def frames_of(p):
    with open_capture(p) as r:
        return [(f.ts_ns, bytes(f.data)) for f in r]


def mutate(fr):
    fr = list(fr)
    kind = rng.choice(["drop", "dup", "swap", "cut", "flip", "flip", "retime", "dropmany"])
    tls = [i for i, (_t, d) in enumerate(fr) if len(d) > 70]
    i = rng.choice(tls) if tls else rng.randrange(len(fr))
    if kind == "drop":
        del fr[i]
    elif kind == "dropmany":
        for _ in range(rng.randint(2, 5)):
            if len(fr) > 3:
                del fr[rng.randrange(len(fr))]
    elif kind == "dup":
        fr.insert(i + rng.randint(1, 3), fr[i])
    elif kind == "swap" and i + 1 < len(fr):
        fr[i], fr[i + 1] = (fr[i + 1][0], fr[i][1]), (fr[i][0], fr[i + 1][1])
    elif kind == "cut":
        fr = fr[: rng.randrange(3, len(fr))] if len(fr) > 4 else fr
    elif kind == "flip":
        t, d = fr[i]
        d = bytearray(d)
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(54, len(d)) if len(d) > 54 else rng.randrange(len(d))
            d[j] = rng.choice([0, 0xFF, d[j] ^ (1 << rng.randrange(8)), 0x14, 0x15, 0x16, 0x17])
        fr[i] = (t, bytes(d))
    elif kind == "retime":
        t, d = fr[i]
        fr[i] = (fr[max(i - 1, 0)][0], d)
    return kind, fr


def main() -> int:
    rng.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 300)
    runs = fails = 0
    base = {n: frames_of(FIX / f"{n}.pcap") for n in NAMES}
    out = Path("/tmp/mutate-fixtures-failures")
    out.mkdir(exist_ok=True)
    while time.monotonic() < deadline:
        n = rng.choice(NAMES)
        kinds = []
        fr = base[n]
        for _ in range(rng.randint(1, 3)):
            k, fr = mutate(fr)
            kinds.append(k)
        data = pcap(fr)
        path = _work() / "input.pcap"
        path.write_bytes(data)
        cmd = rng.choice(CMDS)
        args = [a.format(**{"in": str(path), "k": str(FIX / f"{n}.keys"), "w": str(_work())}) for a in cmd]
        runs += 1
        try:
            run_command(args)
        except Exception as exc:  # noqa: BLE001 - every failure is kept and reported
            fails += 1
            name = out / f"{n}-{'-'.join(kinds)}-{runs}.pcap"
            name.write_bytes(data)
            print(f"FAIL {name} {' '.join(cmd[:3])}: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc(limit=-4)
        _clean()
    print(f"mutate_fixtures: {runs} runs, {fails} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
