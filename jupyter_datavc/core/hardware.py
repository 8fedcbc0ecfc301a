"""A short description of the machine a run used: CPU model and count, memory, GPUs where visible.

Only cheap, local sources: ``/proc/cpuinfo`` and ``/proc/meminfo`` (Linux), ``platform``, and
``nvidia-smi`` when it is on the PATH (a two-second limit). Nothing here imports a GPU library.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from functools import lru_cache
from typing import Any


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _gpus() -> list[dict[str, str]]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=2,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.stdout.splitlines() if out.returncode == 0 else []:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            gpus.append({"name": parts[0], "memory": parts[1], "driver": parts[2]})
    return gpus


@lru_cache(maxsize=1)
def describe() -> dict[str, Any]:
    """``{"cpu": model, "cpus": count, "memory": bytes or None, "gpus": [...]}`` of this machine."""
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory": _memory_bytes(),
        "gpus": _gpus(),
    }
