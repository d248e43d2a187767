"""How the suite splits over pytest-xdist workers (the README's test command runs `-n auto --dist loadgroup`).

Each test module runs whole on one worker, so a module-scoped fixture (a corpus verified once, a capture
recorded once) is computed once, not once per worker. The modules in NETWORK share one group and so run one
after another: they capture live on the loopback interface, start servers, network namespaces or a Dask
cluster (whose traffic crosses the loopback), send signals mid-run, or load both cores on a budget (the fuzz
test); run side by side they would see each other's packets or starve each other's deadlines. A new test of
that kind goes into one of these modules, or its module into NETWORK.
"""

from __future__ import annotations

import pytest

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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::")[0].rpartition("/")[2].removesuffix(".py")
        item.add_marker(pytest.mark.xdist_group("network" if module in NETWORK else module))
