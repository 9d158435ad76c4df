"""Benchmark 3: how close a training step gets to the hardware. The achieved GFLOP/s of a
fine-tuning step of the encoder (FLOPs counted from the model's shapes: matrix multiplies of
the forward pass, times 3 for forward + backward) against this machine's measured matmul
GFLOP/s (float32, the same thread count).

    python benchmarks/training_flops.py [--batch 32] [--seq 64] [--steps 10]
"""

import argparse
import time

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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    path = checkpoint("encoder", verbose=False)
    config = AutoConfig.from_pretrained(path, num_labels=2)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
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
         ["FLOPs per step (forward + backward)", f"{flops / 1e9:.1f} GFLOP"],
         ["time per step", f"{seconds * 1000:.0f} ms"],
         ["achieved in training", f"{achieved:.1f} GFLOP/s"],
         ["float32 matmul 1024³ (best of 3)", f"{peak:.1f} GFLOP/s"],
         ["training / matmul", f"{achieved / peak:.0%}"]]))


if __name__ == "__main__":
    main()
