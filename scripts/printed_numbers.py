"""The numbers a lesson prints, as the course's checks compare them: scripts/check_gpu.py (two
runs of a notebook on one machine) and scripts/check_colab.py (a run against the committed
outputs). Standard library only: the GPU check imports it where the course is not installed."""

from __future__ import annotations

import re

NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
# What a run measures of the machine, not a result of the lesson: timings, speeds and sizes,
# clock times, and speed-ups (ratios of timings, printed "1.3×"; a result written "0.99 × 2σ√n"
# stays a result).
MEASUREMENT = r"\d+\.\d+ ?(?:s|ms|seconds|sec|it/s|batch/s|MiB|GiB|MB|GB)\b|\d\d:\d\d|\d+\.\d+×"
VERSION = r"\d+\.\d+\.\d+"
_LEFT_OUT = {False: re.compile(MEASUREMENT), True: re.compile(f"{MEASUREMENT}|{VERSION}")}
# Lessons that train take different floating-point paths through many steps on another device or
# machine, so their numbers agree within an absolute 0.05 (the parity tests' tolerance); the
# others within 1e-3, relative to the number (absolute below 1).
TOLERANCE = {"training": 0.05, "inference": 1e-3}


def numbers(text: str, versions: bool = False) -> list[float]:
    """The decimal numbers in ``text`` that are results; with ``versions``, version numbers are
    left out too (they differ between machines, not between runs on one)."""
    return [float(x) for x in NUMBER.findall(_LEFT_OUT[versions].sub("", text))]


def difference(expected: float, got: float, training: bool) -> float:
    """How far ``got`` is from ``expected``, in the unit its tolerance is stated in."""
    return abs(expected - got) if training else abs(expected - got) / max(1.0, abs(expected))
