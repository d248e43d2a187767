"""How the suite splits over pytest-xdist workers (the README's test command runs `-n auto`).

Each test module runs whole on one worker, so a module-scoped fixture (a corpus verified once, a capture
recorded once) is computed once, not once per worker. The modules in NETWORK share one group and so run one
after another: they capture live on the loopback interface, start servers, network namespaces or a Dask
cluster (whose traffic crosses the loopback), send signals mid-run, or load both cores on a budget (the fuzz
test); run side by side they would see each other's packets or starve each other's deadlines. A new test of
that kind goes into one of these modules, or its module into NETWORK.
"""

from __future__ import annotations

import signal
from pathlib import PurePosixPath

import pytest

# The tests that send SIGINT (Ctrl-C) to a command expect it to arrive as in a terminal. A suite started in the
# background of a non-interactive shell inherits SIGINT *ignored*, and every command it spawns would keep
# ignoring it (a disposition of SIG_IGN survives exec): restore the default before any child is spawned.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

NETWORK = {
    "test_cli_endings",      # signals sent to commands mid-input
    "test_demo",             # the demo's servers and live capture on lo
    "test_fuzz",             # seven fuzz targets at once, each on a time budget
    "test_lab",              # network namespaces, nginx, dnsmasq, captures on veth
    "test_live_capture",     # capture -i lo
    "test_live_watch",       # watch -i lo with the demo's servers
    "test_logs",             # a Dask LocalCluster on loopback ports
    "test_logs_tls",         # -j 2: a Dask cluster
    "test_parity_live",      # live capture of servers on lo
}

try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:         # pytest without the test extra's pytest-xdist: one process, nothing to split
    LoadScopeScheduling = None


def unit_of(nodeid: str) -> str:
    """The work unit a test belongs to: its module, or "network" for the modules that must not overlap."""
    module = nodeid.split("::", 1)[0]
    return "network" if PurePosixPath(module).stem in NETWORK else module


if LoadScopeScheduling is not None:
    class ModuleScheduling(LoadScopeScheduling):
        """xdist's scope scheduling with modules as scopes, the NETWORK modules as one, handed out first
        (the longest serial stretch: the other workers fill in around it)."""

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node) -> None:
            if "network" in self.workqueue:
                self.workqueue.move_to_end("network", last=False)
            super()._assign_work_unit(node)

    @pytest.hookimpl(optionalhook=True)          # known only while xdist is loaded (not with -p no:xdist)
    def pytest_xdist_make_scheduler(config, log):
        return ModuleScheduling(config, log)
