"""Flows: direction-free connection keys, the flow table, UDP conversations and IP defragmentation.

TCP connections (state, analysis, reassembly) live in :mod:`analyzer.tcp`, built on the table here.
"""

from analyzer.flows.defrag import Datagram, Defragmenter
from analyzer.flows.key import FlowKey
from analyzer.flows.table import FlowTable
from analyzer.flows.udp import UdpConversation, UdpTable

__all__ = ["Datagram", "Defragmenter", "FlowKey", "FlowTable", "UdpConversation", "UdpTable"]
