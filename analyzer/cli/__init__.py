"""Command-line interface: the only part of the analyzer that prints."""
