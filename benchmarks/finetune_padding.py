"""Benchmark 1: fine-tuning time to reach the target held-out accuracy on the polarity data,
with static padding (max_length 64), dynamic padding, and length-grouped batches
(`group_by_length`), 3 epochs each (300 steps of 32). Same model, data, seed and learning-rate
schedule; only the batching differs. Two more rows add fused AdamW to the length-grouped batches
(the recipe of the sentiment checkpoint, `utils.assets.FINETUNE`, which stops at step 225) and
use transformers' own `LengthGroupedSampler` instead of the course's grouping. The rows after
those change one setting of that 3-epoch recipe at a time to train less: two epochs, the
embeddings and the first two of the six layers frozen, matmuls in bfloat16 (autocast; fast only
on CPUs with bfloat16 instructions, which the script names); the build itself (225 steps, the
schedule ending there); two epochs with a higher learning rate, with batches of 16, or with
sentences cut at 48 tokens. Evaluation on the 400 test sentences every 25 steps; its time is not
counted. The final accuracy on the 400 validation sentences is shown beside the test accuracy.

    python benchmarks/finetune_padding.py [--epochs 3] [--target 0.80] [--only NAME ...]
"""

import argparse
import random
import time

import common  # noqa: F401  (environment)
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    get_linear_schedule_with_warmup,
)
from transformers.trainer_pt_utils import LengthGroupedSampler

from utils import checkpoint, load_polarity
from utils.assets import FINETUNE, LABELS, SEED, _length_grouped_batches, sentiment_plan

# name: how the run differs from the defaults below (3 epochs of length-grouped batches with fused
# AdamW). The first three use PyTorch's default AdamW, as the build did before it switched to the
# fused one (the same arithmetic in one kernel). "steps" trains on the build's own plan
# (utils.assets.sentiment_plan, the schedule ending there); "lr", "batch_size" and "max_length"
# replace the recipe's values.
DEFAULTS = {"batching": "group_by_length", "fused": True, "epochs": None, "frozen_layers": 0,
            "bf16": False, "steps": None}
BUILD = f"the build ({FINETUNE['steps']} steps)"
RUNS = {"static": {"batching": "static", "fused": False},
        "dynamic": {"batching": "dynamic", "fused": False},
        "group_by_length": {"fused": False},
        "group_by_length + fused AdamW": {},
        "LengthGroupedSampler + fused AdamW": {"batching": "LengthGroupedSampler"},
        "2 epochs": {"epochs": 2},
        "embeddings + layers 0-1 frozen": {"frozen_layers": 2},
        "bfloat16 autocast": {"bf16": True},
        BUILD: {"steps": FINETUNE["steps"]},
        "2 epochs, lr 1.5e-4": {"epochs": 2, "lr": 1.5e-4},
        "2 epochs, lr 2e-4": {"epochs": 2, "lr": 2e-4},
        "2 epochs, batches of 16": {"epochs": 2, "batch_size": 16},
        "2 epochs, max length 48": {"epochs": 2, "max_length": 48}}


def bf16_instructions():
    """The CPU's bfloat16 instruction sets, read from /proc/cpuinfo (Linux); [] elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f
                          if line.startswith("flags")), [])
    except OSError:
        return []
    return [flag for flag in ("avx512_bf16", "amx_bf16") if flag in flags]


def batches_for(strategy, lengths, batch_size, epoch):
    if strategy == "group_by_length":
        return _length_grouped_batches(lengths, batch_size, SEED + epoch)
    if strategy == "LengthGroupedSampler":  # what Trainer(group_by_length=True) uses
        generator = torch.Generator().manual_seed(SEED + epoch)
        order = list(LengthGroupedSampler(batch_size, lengths=lengths, generator=generator))
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    order = list(range(len(lengths)))
    random.Random(SEED + epoch).shuffle(order)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def accuracy(model, rows, collate):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(rows), 64):
            batch = collate(rows[i:i + 64])
            correct += (model(**batch).logits.argmax(-1) == batch["labels"]).sum().item()
    model.train()
    return correct / len(rows)


def run(spec, data, tokenizer, epochs, target, eval_every):
    spec = {**DEFAULTS, **spec}
    cfg = {**FINETUNE,
           **{key: spec[key] for key in ("lr", "batch_size", "max_length") if key in spec}}
    strategy, epochs = spec["batching"], spec["epochs"] or epochs
    static = strategy == "static"
    pad = dict(padding="max_length") if static else {}

    def encode(split):
        return [dict(tokenizer(s, truncation=True, max_length=cfg["max_length"], **pad), labels=y)
                for s, y in zip(data[split]["sentence"], data[split]["label"])]

    train, test, validation = encode("train"), encode("test"), encode("validation")
    collate = DataCollatorWithPadding(tokenizer)
    torch.manual_seed(SEED)
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint("encoder", verbose=False), num_labels=2, id2label=LABELS,
        label2id={v: k for k, v in LABELS.items()})
    lengths = [len(x["input_ids"]) for x in train]
    if spec["steps"]:  # the build's own plan, whatever --epochs says
        plan = sentiment_plan(lengths, cfg["batch_size"], spec["steps"])
    else:
        plan = [b for e in range(epochs)
                for b in batches_for(strategy, lengths, cfg["batch_size"], e)]
    if spec["frozen_layers"]:
        for part in [model.bert.embeddings, *model.bert.encoder.layer[:spec["frozen_layers"]]]:
            part.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=cfg["lr"], weight_decay=cfg["weight_decay"],
                                  fused=spec["fused"] or None)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg["warmup_ratio"] * len(plan)),
                                                len(plan))
    clock, reached, tokens, padded, best = 0.0, None, 0, 0, 0.0
    model.train()
    for step, ids in enumerate(plan, 1):
        batch = collate([train[i] for i in ids])
        tokens += batch["input_ids"].numel()
        padded += (batch["attention_mask"] == 0).sum().item()
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=spec["bf16"]):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        clock += time.perf_counter() - start
        if step % eval_every == 0 or step == len(plan):
            acc = accuracy(model, test, collate)
            best = max(best, acc)
            if reached is None and acc >= target:
                reached = (clock, step, acc)
    final = accuracy(model, test, collate)
    return {"clock": clock, "reached": reached, "final": final, "best": best,
            "validation": accuracy(model, validation, collate),
            "tokens": tokens, "padding": padded / tokens, "steps": len(plan)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3, help="passes over the data per run")
    parser.add_argument("--target", type=float, default=0.80)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--only", nargs="+", choices=list(RUNS), help="run only these rows")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    data = load_polarity()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))
    print(f"machine: {common.machine()}, torch threads: {torch.get_num_threads()}")
    print(f"recipe: {FINETUNE}, epochs {args.epochs}, target {args.target:.0%} on 400 test "
          f"sentences, evaluated every {args.eval_every} steps")
    print("bfloat16 instructions on this CPU: "
          f"{', '.join(bf16_instructions()) or 'none found'}\n", flush=True)
    results = {}
    for name in args.only or RUNS:
        results[name] = r = run(RUNS[name], data, tokenizer, args.epochs, args.target,
                                args.eval_every)
        print(f"{name}: {r}", flush=True)
    first = next(iter(results))
    base = results[first]["clock"]
    rows = []
    for name, r in results.items():
        reached = (f"{r['reached'][0]:.0f} s (step {r['reached'][1]}, {r['reached'][2]:.1%})"
                   if r["reached"] else f"not reached (best {r['best']:.1%})")
        rows.append([name, f"{r['tokens']:,}", f"{r['padding']:.1%}", f"{r['clock']:.0f} s",
                     f"{base / r['clock']:.2f}×", reached, f"{r['final']:.1%}",
                     f"{r['validation']:.1%}"])
    print()
    print(common.table(["run", "tokens processed", "padding", "training time",
                        f"speed-up vs {first}", f"time to {args.target:.0%}", "final accuracy",
                        "validation"],
                       rows))


if __name__ == "__main__":
    main()
