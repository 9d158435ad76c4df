"""Benchmark 3: how close a training step gets to the hardware. The achieved GFLOP/s of a
fine-tuning step of the encoder (FLOPs counted from the model's shapes: matrix multiplies of
the forward pass, times 3 for forward + backward) against this machine's measured matmul
GFLOP/s (float32, the same thread count).

    python benchmarks/training_flops.py [--batch 32] [--seq 64] [--steps 10] [--profile]
                                        [--default-adamw]

With --profile, one more step runs under torch.profiler and a table shows where its CPU time
goes: matrix multiplies (aten::mm/addmm/bmm/matmul and their backward) against everything else
(softmax, layer norm, GELU, dropout, the optimizer, copies), so the gap to the matmul peak has
names.
"""

import argparse
import time
from collections import defaultdict

import common  # noqa: F401  (environment)
import torch
from transformers import AutoConfig, AutoModelForSequenceClassification

from utils import checkpoint


def forward_flops(config, batch, seq):
    """Multiply-adds x 2 of the encoder's matrix products for one forward pass."""
    d, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    tokens = batch * seq
    per_layer = (2 * tokens * d * 3 * d          # Q, K, V projections
                 + 2 * batch * seq * seq * d * 2  # scores Q·Kᵀ and weights·V
                 + 2 * tokens * d * d            # attention output projection
                 + 2 * tokens * d * ff * 2)      # feed-forward up and down
    head = 2 * batch * d * d + 2 * batch * d * config.num_labels  # pooler + classifier
    return layers * per_layer + head


def matmul_gflops(n=1024, repeat=20):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeat):
        a @ b
    return 2 * n**3 * repeat / (time.perf_counter() - start) / 1e9


MATMUL_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}
GROUPS = [  # (substring of the op name, group), first match wins
    ("scaled_dot_product", "attention (SDPA: its own matmuls and softmax)"),
    ("softmax", "softmax"), ("layer_norm", "layer norm"), ("gelu", "GELU"),
    ("dropout", "dropout"), ("bernoulli", "dropout"), ("_foreach", "optimizer (AdamW)"),
    ("adam", "optimizer (AdamW)"), ("lerp", "optimizer (AdamW)"), ("addcdiv", "optimizer (AdamW)"),
    ("addcmul", "optimizer (AdamW)"), ("sqrt", "optimizer (AdamW)"),
    ("embedding", "embeddings"), ("copy", "copies and layout"),
    ("contiguous", "copies and layout"), ("clone", "copies and layout"),
    ("cross_entropy", "loss"), ("nll_loss", "loss"), ("log_softmax", "loss"),
    ("add", "element-wise (mostly AdamW)"), ("mul", "element-wise (mostly AdamW)"),
    ("div", "element-wise (mostly AdamW)"), ("sum", "reductions (bias gradients)"),
    ("zero_", "zero_grad"), ("fill_", "zero_grad"),
]


def profile_step(step) -> list[list]:
    """Self CPU time of one step's operators, grouped: matmul vs the rest."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    groups: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        name = event.key
        if name in MATMUL_OPS:
            group = "matrix multiplies"
        else:
            group = next((g for key, g in GROUPS if key in name.lower()), "other")
        groups[group] += event.self_cpu_time_total / 1e3
    total = sum(groups.values())
    return [[g, f"{ms:,.0f} ms", f"{ms / total:.0%}"]
            for g, ms in sorted(groups.items(), key=lambda kv: -kv[1])]


def timed_step(model, optimizer, batch) -> tuple[float, float, float]:
    """Seconds of the forward pass, the backward pass and the optimizer (step + zero_grad)."""
    t0 = time.perf_counter()
    loss = model(**batch).loss
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    optimizer.step()
    optimizer.zero_grad()
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def compare_optimizers(path, batch, steps) -> list[list]:
    """The same steps with AdamW's default CPU implementation (one parameter at a time) and with
    fused=True (one kernel for all parameters), each on its own copy of the model, taking turns
    step by step so that other load on the machine hits both alike; medians per phase."""
    import statistics

    variants = []
    for name, kwargs in [("AdamW (default)", {}), ("AdamW(fused=True)", {"fused": True})]:
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
        variants.append((name, model, torch.optim.AdamW(model.parameters(), lr=1e-5, **kwargs)))
    times = {name: [] for name, _, _ in variants}
    for i in range(steps + 1):  # the first round warms up and is not counted
        for name, model, optimizer in variants:
            phases = timed_step(model, optimizer, batch)
            if i:
                times[name].append(phases)
    rows, base = [], None
    for name, _, _ in variants:
        forward, backward, opt = (statistics.median(p[k] for p in times[name]) for k in range(3))
        total = forward + backward + opt
        base = base or total
        rows.append([name, f"{forward * 1e3:.0f} ms", f"{backward * 1e3:.0f} ms",
                     f"{opt * 1e3:.0f} ms", f"{total * 1e3:.0f} ms", f"{base / total:.2f}×"])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--profile", action="store_true",
                        help="profile one more step and show where its time goes")
    parser.add_argument("--default-adamw", action="store_true",
                        help="PyTorch's default AdamW instead of fused=True (the build's recipe)")
    args = parser.parse_args()
    path = checkpoint("encoder", verbose=False)
    config = AutoConfig.from_pretrained(path, num_labels=2)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=not args.default_adamw or None)
    ids = torch.randint(1000, 30000, (args.batch, args.seq))
    labels = torch.randint(0, 2, (args.batch,))

    def step():
        model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = (time.perf_counter() - start) / args.steps
    flops = 3 * forward_flops(config, args.batch, args.seq)
    achieved = flops / seconds / 1e9
    peak = max(matmul_gflops() for _ in range(3))
    print(f"machine: {common.machine()}, torch threads: {torch.get_num_threads()}\n")
    print(common.table(
        ["measure", "value"],
        [["training step (batch × seq)", f"{args.batch} × {args.seq}"],
         ["optimizer", "AdamW (default)" if args.default_adamw else "AdamW(fused=True)"],
         ["FLOPs per step (forward + backward)", f"{flops / 1e9:.1f} GFLOP"],
         ["time per step", f"{seconds * 1000:.0f} ms"],
         ["achieved in training", f"{achieved:.1f} GFLOP/s"],
         ["float32 matmul 1024³ (best of 3)", f"{peak:.1f} GFLOP/s"],
         ["training / matmul", f"{achieved / peak:.0%}"]]))
    if args.profile:
        print("\nOne training step under torch.profiler (self CPU time by operator group):\n")
        print(common.table(["operators", "self CPU time", "share"], profile_step(step)))
        print("\nPer phase, median of the steps, and what a fused optimizer recovers:\n")
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
        print(common.table(["optimizer", "forward", "backward", "optimizer step", "step",
                            "speed-up"], compare_optimizers(path, batch, args.steps)))


if __name__ == "__main__":
    main()
