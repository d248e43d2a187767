"""The NSS key log format (what browsers, curl and wget write to ``SSLKEYLOGFILE``) parsed into a lookup
table of TLS secrets keyed by the ClientHello random. Sans-IO and total: any input gives a :class:`KeyLog`;
a line that is not a key is recorded in ``problems`` (line number and reason), never raised.

Format (one secret per line, ``#`` starts a comment)::

    CLIENT_RANDOM <client random, 64 hex digits> <TLS 1.2 master secret, 96 hex digits>
    CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret, 64 or 96 hex digits>
    SERVER_HANDSHAKE_TRAFFIC_SECRET | CLIENT_TRAFFIC_SECRET_0 | SERVER_TRAFFIC_SECRET_0 | ... (TLS 1.3)

Entry point for fuzzing: :func:`parse_keylog` (``bytes`` in, :class:`KeyLog` out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from analyzer.capture.pcapng import SECRETS_TLS_KEY_LOG

CLIENT_RANDOM = "CLIENT_RANDOM"
CLIENT_HANDSHAKE = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
SERVER_HANDSHAKE = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
CLIENT_TRAFFIC = "CLIENT_TRAFFIC_SECRET_0"
SERVER_TRAFFIC = "SERVER_TRAFFIC_SECRET_0"
CLIENT_EARLY = "CLIENT_EARLY_TRAFFIC_SECRET"
LABELS = frozenset((CLIENT_RANDOM, CLIENT_HANDSHAKE, SERVER_HANDSHAKE, CLIENT_TRAFFIC, SERVER_TRAFFIC,
                    CLIENT_EARLY, "EXPORTER_SECRET", "EARLY_EXPORTER_SECRET"))
# Lines we recognise but cannot use: RSA pre-master secrets need the encrypted pre-master too (key
# exchange by RSA, which forward-secret suites never use).
UNUSED_LABELS = frozenset(("RSA", "PMS_CLIENT_RANDOM"))
SECRET_LENGTHS = {CLIENT_RANDOM: (48,)}
TLS13_SECRET_LENGTHS = (32, 48, 64)      # SHA-256, SHA-384 (and SHA-512) sized traffic secrets
MAX_LINE = 1024                          # longer lines are not key lines (bounded work per line)
MAX_PROBLEMS = 100                       # problems kept (the count goes on)


@dataclass(frozen=True, slots=True)
class KeyLogProblem:
    """A line that is not a usable key: its 1-based number and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class KeyLog:
    """Secrets by ``(label, client random)``; ``problems`` lists the first lines that were not keys and
    ``problem_count`` counts them all."""

    secrets: dict[tuple[str, bytes], bytes] = field(default_factory=dict)
    problems: list[KeyLogProblem] = field(default_factory=list)
    problem_count: int = 0

    def lookup(self, label: str, client_random: bytes) -> bytes | None:
        """The secret logged under ``label`` for the connection whose ClientHello random is ``client_random``."""
        return self.secrets.get((label, bytes(client_random)))

    def has_random(self, client_random: bytes) -> bool:
        """Is any secret logged for this connection?"""
        cr = bytes(client_random)
        return any(self.secrets.get((label, cr)) is not None for label in LABELS)

    def merge(self, other: KeyLog) -> KeyLog:
        """Add ``other``'s secrets (theirs win on a clash) and problems; returns self."""
        self.secrets.update(other.secrets)
        room = MAX_PROBLEMS - len(self.problems)
        self.problems.extend(other.problems[:max(room, 0)])
        self.problem_count += other.problem_count
        return self

    def __len__(self) -> int:
        return len(self.secrets)


def parse_keylog(data: bytes | str) -> KeyLog:
    """Parse key log text; never raises. Blank lines and ``#`` comments are skipped silently."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    log = KeyLog()
    for number, raw in enumerate(data.split(b"\n"), 1):
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        reason = _add_line(log, line)
        if reason is not None:
            log.problem_count += 1
            if len(log.problems) < MAX_PROBLEMS:
                log.problems.append(KeyLogProblem(number, reason))
    return log


def _add_line(log: KeyLog, line: bytes) -> str | None:
    """File one line's secret; the reason it is not a key otherwise."""
    if len(line) > MAX_LINE:
        return f"line longer than {MAX_LINE} characters"
    parts = line.split()
    label = parts[0].decode("ascii", "replace")
    if label in UNUSED_LABELS:
        return f"{label} lines (RSA key exchange) are not used"
    if label not in LABELS:
        return f"unknown label {_show(label)}"
    if len(parts) != 3:
        return f"{label} needs 2 values (client random, secret), found {len(parts) - 1}"
    random, secret = _hex(parts[1]), _hex(parts[2])
    if random is None or len(random) != 32:
        return "the client random is not 64 hex digits"
    if secret is None:
        return "the secret is not hex digits"
    allowed = SECRET_LENGTHS.get(label, TLS13_SECRET_LENGTHS)
    if len(secret) not in allowed:
        return f"a {label} secret of {len(secret)} bytes (expected {' or '.join(map(str, allowed))})"
    log.secrets[(label, random)] = secret
    return None


def _hex(text: bytes) -> bytes | None:
    try:
        return bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None


def _show(text: str) -> str:
    shown = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return repr(shown[:40])


def secrets_receiver(keylog: KeyLog) -> Callable[[int, bytes], None]:
    """An ``on_secrets`` callback for :func:`analyzer.capture.open_capture`: the TLS key logs of a pcapng's
    Decryption Secrets Blocks are merged into ``keylog`` as they are read (before the frames they decrypt)."""
    def receive(kind: int, data: bytes) -> None:
        if kind == SECRETS_TLS_KEY_LOG:
            keylog.merge(parse_keylog(data))
    return receive
