"""Decoders from the link layer to DNS: bytes in, layers of named fields out (sans-IO)."""

from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import DecodeFailure, Layer, Packet, decode

__all__ = ["DecodeError", "DecodeFailure", "Layer", "Packet", "decode"]
