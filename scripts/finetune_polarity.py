"""Fine-tune the course encoder on sentence polarity with 🤗 Accelerate, in one process or several.

The same file runs unchanged in every setting; only the command that starts it changes:

    # one process
    python scripts/finetune_polarity.py --output runs/polarity

    # two processes on one machine (torchrun starts them; gloo on CPU, NCCL on GPUs)
    accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no \\
        --dynamo_backend no scripts/finetune_polarity.py --output runs/polarity
    torchrun --standalone --nproc_per_node 2 scripts/finetune_polarity.py --output runs/polarity

Each process holds a full copy of the model and trains on its own share of every global batch;
the gradients are averaged across processes (all-reduce) before each optimizer step, so the
copies stay identical. The effective batch size is
``per-device batch × processes × gradient-accumulation steps``.

Outputs (in ``--output``): every process writes ``rank{N}.json`` (what it trained on and a
SHA-256 of its final parameters); process 0 also writes ``metrics.json`` and the model
(``model/``, safetensors). A run prints only short lines without paths.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

MAX_LENGTH = 64


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-size", type=int, default=1600,
                        help="training sentences (a shuffled subset of the 3,200)")
    parser.add_argument("--eval-size", type=int, default=400, help="validation sentences (of 400)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--per-device-batch-size", type=int, default=16,
                        help="sentences per process per forward/backward pass")
    parser.add_argument("--grad-accum", type=int, default=1,
                        help="forward/backward passes per optimizer step")
    parser.add_argument("--lr", type=float, default=1e-4, help="peak learning rate (AdamW)")
    parser.add_argument("--warmup-ratio", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-dropout", action="store_true",
                        help="switch dropout off (then 1 and N processes give the same weights)")
    parser.add_argument("--output", required=True, help="folder for metrics, rank files, model")
    # `accelerate launch --mixed_precision X` exports ACCELERATE_MIXED_PRECISION=X: use it as the
    # default, so the launcher's flag works; a plain `python` run defaults to "no".
    parser.add_argument("--mixed-precision", choices=["no", "bf16", "fp16"],
                        default=os.environ.get("ACCELERATE_MIXED_PRECISION", "no"))
    args = parser.parse_args(argv)
    for name in ("train_size", "eval_size", "epochs", "per_device_batch_size", "grad_accum"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def choose_precision(requested: str) -> tuple[str, str | None]:
    """The mixed-precision mode to use and, when it differs from the request, why."""
    from utils import device

    if requested == "no":
        return "no", None
    supported = device.mixed_precision("pt")  # "bf16", "fp16" or None
    ok = {"bf16": supported == "bf16", "fp16": supported in ("bf16", "fp16")}[requested]
    if ok:
        return requested, None
    return "no", (f"--mixed-precision {requested} is not supported here "
                  f"(utils.device.mixed_precision('pt') returned {supported!r}): training in full "
                  f"precision ('no') instead")


def parameter_checksum(model) -> str:
    """SHA-256 of all parameters (float32 bytes, in name order): equal only if bit-identical."""
    import torch

    digest = hashlib.sha256()
    for name, param in sorted(model.named_parameters()):
        digest.update(name.encode())
        # hashlib reads the array's memory itself: no copy of the 89 MB embedding matrix
        digest.update(param.detach().to("cpu", torch.float32).contiguous().numpy())
    return digest.hexdigest()


def main(argv=None) -> None:
    args = parse_args(argv)

    from utils import setup

    setup("pt", seed=args.seed, report=False)  # offline, no TensorFlow, seeds, quiet warnings

    import datasets
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs, set_seed
    from torch.utils.data import DataLoader
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        get_linear_schedule_with_warmup,
    )
    from transformers.utils import logging as hf_logging

    from utils import checkpoint, load_polarity

    precision, fallback = choose_precision(args.mixed_precision)
    # Accelerate runs several processes on the CPU (gloo) only when asked for the CPU; without a
    # GPU the script asks for it itself, so torchrun and `accelerate launch` both work.
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=precision,
                              gradient_accumulation_steps=args.grad_accum,
                              # DDP's gradients live in its all-reduce buffers: one copy, not two
                              kwargs_handlers=[DistributedDataParallelKwargs(
                                  gradient_as_bucket_view=True)])
    rank, world = accelerator.process_index, accelerator.num_processes
    if fallback:
        accelerator.print(fallback)
    if world == 1 and os.environ.get("MASTER_ADDR") and "LOCAL_RANK" not in os.environ:
        # `accelerate launch --cpu --num_processes N` without MPI starts ONE plain process.
        accelerator.print("warning: a launcher asked for several processes but this is the only "
                          "one; on CPU use `accelerate launch --multi_gpu ...` or torchrun")
    datasets.disable_progress_bars()
    if not accelerator.is_main_process:  # one copy of each library message is enough
        hf_logging.set_verbosity_error()
    set_seed(args.seed)

    # ---- data: every process builds the same datasets; `prepare` gives each its share
    encoder = checkpoint("encoder", verbose=False)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    polarity = load_polarity()
    if (args.train_size > polarity["train"].num_rows
            or args.eval_size > polarity["validation"].num_rows):
        raise SystemExit("--train-size / --eval-size larger than the split")
    train = polarity["train"].shuffle(seed=args.seed).select(range(args.train_size))
    valid = polarity["validation"].select(range(args.eval_size))

    def tokenize(batch):
        return tokenizer(batch["sentence"], truncation=True, max_length=MAX_LENGTH)

    with accelerator.main_process_first():  # the main process fills the datasets cache first
        train = train.map(tokenize, batched=True, remove_columns=["sentence"])
        valid = valid.map(tokenize, batched=True, remove_columns=["sentence"])
    collator = DataCollatorWithPadding(tokenizer)  # dynamic padding: to the longest in each batch
    generator = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train, batch_size=args.per_device_batch_size, shuffle=True,
                              collate_fn=collator, generator=generator)
    eval_loader = DataLoader(valid, batch_size=args.per_device_batch_size, collate_fn=collator)

    # ---- model, optimizer, schedule
    names = train.features["label"].names  # ["NEGATIVE", "POSITIVE"]
    no_dropout = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                      classifier_dropout=0.0) if args.no_dropout else {}
    model = AutoModelForSequenceClassification.from_pretrained(
        encoder, num_labels=len(names), id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)}, **no_dropout)
    # fused: one kernel updates all parameters, without the temporary copies of the default
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, fused=True)

    # After `prepare`, len(train_loader) is the number of batches of THIS process.
    batches_per_process = -(-len(train_loader) // world)
    steps_per_epoch = -(-batches_per_process // args.grad_accum)  # a last partial group steps too
    total_steps = steps_per_epoch * args.epochs
    # A prepared scheduler is stepped once per process at every optimizer step (Accelerate
    # assumes the schedule was written for one process), so count in those units.
    scheduler = get_linear_schedule_with_warmup(
        optimizer, num_warmup_steps=int(args.warmup_ratio * total_steps) * world,
        num_training_steps=total_steps * world)

    model, optimizer, train_loader, eval_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, eval_loader, scheduler)
    assert len(train_loader) == batches_per_process, (len(train_loader), batches_per_process)
    effective_batch = args.per_device_batch_size * world * args.grad_accum
    accelerator.print(f"processes {world} · backend {accelerator.state.backend or 'none'} · "
                      f"per-device batch {args.per_device_batch_size} · grad-accum "
                      f"{args.grad_accum} · effective batch {effective_batch} · "
                      f"{steps_per_epoch} optimizer steps per epoch")

    # ---- training
    start = time.perf_counter()
    steps, sentences, losses = 0, 0, []
    model.train()
    for _ in range(args.epochs):
        for batch in train_loader:
            with accelerator.accumulate(model):  # no gradient sync until the last micro-batch
                loss = model(**batch).loss
                accelerator.backward(loss)  # scales by 1/grad_accum; DDP all-reduces gradients
                optimizer.step()  # skipped by Accelerate while accumulating
                scheduler.step()
                optimizer.zero_grad()
            sentences += batch["input_ids"].shape[0]
            losses.append(loss.item())
            if accelerator.sync_gradients:
                steps += 1
    train_seconds = time.perf_counter() - start

    # ---- evaluation: each process scores its shard, then the predictions are gathered
    model.eval()
    predictions, references, local_correct, local_count = [], [], 0, 0
    for batch in eval_loader:
        with torch.no_grad():
            preds = model(**batch).logits.argmax(dim=-1)
        local_correct += (preds == batch["labels"]).sum().item()
        local_count += preds.shape[0]
        # gather_for_metrics concatenates all processes' tensors and drops the few sentences
        # that were repeated to give every process the same number of batches
        preds, labels = accelerator.gather_for_metrics((preds, batch["labels"]))
        predictions.append(preds.cpu())
        references.append(labels.cpu())
    predictions, references = torch.cat(predictions), torch.cat(references)
    accuracy = (predictions == references).float().mean().item()

    # ---- outputs: every rank its checksum, rank 0 the metrics and the model
    unwrapped = accelerator.unwrap_model(model)
    checksum = parameter_checksum(unwrapped)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / f"rank{rank}.json").write_text(json.dumps({
        "rank": rank, "world_size": world, "train_batches": len(train_loader),
        "train_sentences": sentences, "optimizer_steps": steps,
        "eval_sentences_local": local_count,
        "accuracy_local": round(local_correct / max(local_count, 1), 4),
        "mean_train_loss_local": round(sum(losses) / len(losses), 4),
        "param_sha256": checksum}, indent=2))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        unwrapped.save_pretrained(output / "model", safe_serialization=True)
        tokenizer.save_pretrained(output / "model")
        metrics = {
            "accuracy": round(accuracy, 4), "eval_sentences": int(references.numel()),
            "world_size": world, "per_device_batch_size": args.per_device_batch_size,
            "grad_accum": args.grad_accum, "effective_batch_size": effective_batch,
            "optimizer_steps": steps, "epochs": args.epochs, "train_size": args.train_size,
            "lr": args.lr, "dropout": not args.no_dropout, "mixed_precision": precision,
            "backend": accelerator.state.backend or "none",
            "train_seconds": round(train_seconds, 1), "param_sha256": checksum}
        (output / "metrics.json").write_text(json.dumps(metrics, indent=2))
        accelerator.print(f"accuracy {accuracy:.4f} on {references.numel()} sentences · "
                          f"{steps} optimizer steps · training {train_seconds:.1f} s")
    accelerator.wait_for_everyone()
    accelerator.end_training()


if __name__ == "__main__":
    main()
