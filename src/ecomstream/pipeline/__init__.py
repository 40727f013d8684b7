"""Wiring sources, bus, processor and store into a running pipeline."""
