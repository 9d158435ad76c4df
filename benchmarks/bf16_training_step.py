"""Benchmark: what bfloat16 autocast costs where the CPU has no bfloat16 instructions. A training
step of the sentiment build's model (the encoder with a classification head, a batch of 32
sentences of 32 tokens, forward, backward and fused AdamW) is timed in float32 and under
`torch.autocast("cpu", dtype=torch.bfloat16)`, once with all of this CPU's instructions and once
each limited as on a CPU with AVX-512 but no bfloat16 instructions, and on one with AVX2 only
(most laptops): `ONEDNN_MAX_CPU_ISA` for oneDNN (PyTorch's bfloat16 matrix kernels),
`MKL_ENABLE_INSTRUCTIONS` for MKL (its float32 ones) and `ATEN_CPU_CAPABILITY` for PyTorch's own
kernels. Each limit runs in its own process, because the libraries read them once.

    python benchmarks/bf16_training_step.py [--steps 3]
"""

import argparse
import json
import os
import subprocess
import sys
import time

SWITCHES = ("ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY")
# what each library may use, in the order of SWITCHES; None: everything this CPU has
LIMITS = {"all of this CPU's": None,
          "AVX-512 without bfloat16": ("AVX512_CORE", "AVX512", "avx512"),
          "AVX2": ("AVX2", "AVX2", "avx2")}


def measure(steps: int) -> dict:
    import common  # noqa: F401  (environment)
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from utils import checkpoint

    config = AutoConfig.from_pretrained(checkpoint("encoder", verbose=False), num_labels=2)
    torch.manual_seed(0)
    batch = {"input_ids": torch.randint(1000, 20000, (32, 32)),
             "labels": torch.randint(0, 2, (32,))}
    times = {}
    for name, bf16 in (("float32", False), ("bfloat16", True)):
        model = AutoModelForSequenceClassification.from_config(config)
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
        for step in range(steps + 1):  # the first step warms up and is not counted
            if step == 1:
                start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        times[name] = (time.perf_counter() - start) / steps
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    if args.child:
        print(json.dumps(measure(args.steps)))
        return
    import common

    print(f"machine: {common.machine()}")
    rows = []
    for label, limit in LIMITS.items():
        env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
        env.update(zip(SWITCHES, limit or ()))
        out = subprocess.run([sys.executable, __file__, "--child", "--steps", str(args.steps)],
                             env=env, capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(here)).stdout
        t = json.loads(out.strip().splitlines()[-1])
        rows.append([label, f"{t['float32']:.2f} s", f"{t['bfloat16']:.2f} s",
                     f"{t['bfloat16'] / t['float32']:.2f}×"])
    print(common.table(["instructions the libraries may use", "float32 step",
                        "bfloat16 autocast step", "bfloat16 time / float32 time"], rows))


if __name__ == "__main__":
    main()
