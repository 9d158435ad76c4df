"""Shared set-up for the benchmark scripts (run them from the repository root)."""

import os
import platform

from utils import env

env.apply()


def machine() -> str:
    return f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, " \
           f"Python {platform.python_version()}"


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table, ready for the README."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
