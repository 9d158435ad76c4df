"""Shared set-up for the benchmark scripts (run them from the repository root)."""

import os
import platform

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def machine() -> str:
    return f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, " \
           f"Python {platform.python_version()}"


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table, ready for the README."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
