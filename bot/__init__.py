"""Wegwijzer: a Dutch assistant for access to care and support (Triple L)."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
