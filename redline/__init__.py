"""Redline: production-safety supervision and epidemic early warning for a city."""

__version__ = "0.1.0"
