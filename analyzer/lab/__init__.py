"""``analyzer lab``: an isolated mini-internet in network namespaces (client, router, DNS and web servers).

See :mod:`analyzer.lab.topology` for the layout and :mod:`analyzer.lab.run` for a run's order of events.
"""

from analyzer.lab.run import LabResult, run_lab
from analyzer.lab.topology import Lab, LabError, cleanup_stale, ip_netns_works

__all__ = ["Lab", "LabError", "LabResult", "cleanup_stale", "ip_netns_works", "run_lab"]
