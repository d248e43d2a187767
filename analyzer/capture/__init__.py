"""Capture sources: read and write pcap and pcapng files (gzip too); frames stream one at a time.

``open_capture(path)`` sniffs the format by magic number and yields :class:`Frame` values;
``open_writer(path)`` writes them back as pcap or pcapng (chosen by extension).
"""

from analyzer.capture.frame import Frame
from analyzer.capture.reader import CaptureError, CaptureReader, CaptureWarning, open_capture
from analyzer.capture.writer import CaptureWriter, open_writer

__all__ = ["CaptureError", "CaptureReader", "CaptureWarning", "CaptureWriter", "Frame", "open_capture",
           "open_writer"]
