"""Benchmark: what bfloat16 autocast costs where the CPU has no bfloat16 instructions. One of the
encoder's feed-forward layers (1,024 tokens x 384 -> 1,536, the size of a length-grouped batch of
32 sentences) is timed in float32 and under `torch.autocast("cpu", dtype=torch.bfloat16)`, once
with all the CPU's instructions and once each with oneDNN limited to AVX-512 without bfloat16 and
to AVX2 (`ONEDNN_MAX_CPU_ISA`; most laptops have AVX2 and no bfloat16 instructions). Each limit
runs in its own process, because oneDNN reads the variable once.

    python benchmarks/bf16_matmul.py [--repeat 50]
"""

import argparse
import json
import os
import subprocess
import sys
import time

LIMITS = {"all of this CPU's": None, "AVX-512 without bfloat16": "AVX512_CORE", "AVX2": "AVX2"}


def measure(repeat: int) -> dict:
    import torch

    x, layer = torch.randn(1024, 384), torch.nn.Linear(384, 1536)
    times = {}
    for name, bf16 in (("float32", False), ("bfloat16", True)):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for _ in range(5):
                layer(x)
            start = time.perf_counter()
            for _ in range(repeat):
                layer(x)
        times[name] = (time.perf_counter() - start) / repeat
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat)))
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import common

    print(f"machine: {common.machine()}")
    rows = []
    for label, isa in LIMITS.items():
        env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
        if isa:
            env["ONEDNN_MAX_CPU_ISA"] = isa
        out = subprocess.run([sys.executable, __file__, "--child", "--repeat", str(args.repeat)],
                             env=env, capture_output=True, text=True, check=True).stdout
        t = json.loads(out.strip().splitlines()[-1])
        rows.append([label, f"{t['float32'] * 1e3:.2f} ms", f"{t['bfloat16'] * 1e3:.2f} ms",
                     f"{t['bfloat16'] / t['float32']:.2f}×"])
    print(common.table(["instructions oneDNN may use", "float32", "bfloat16 autocast",
                        "bfloat16 time / float32 time"], rows))


if __name__ == "__main__":
    main()
