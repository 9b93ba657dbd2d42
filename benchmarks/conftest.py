"""Benchmark-wide guard: no process a benchmark starts may derive the standard LAN directory
from this machine's real interfaces and connect to it (it would be a real address on the real
network). With no primary IP, LAN listings stop at host-cake (pubsub §7)."""

from __future__ import annotations

import os

os.environ["LC_PRIMARY_IP"] = "none"
