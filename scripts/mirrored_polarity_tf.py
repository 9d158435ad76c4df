"""Fine-tune the course encoder on sentence polarity with ``tf.distribute.MirroredStrategy``.

TensorFlow's data parallelism on one machine: one model copy (replica) per device, each global
batch split between the replicas, gradients summed across replicas before every update. Without
GPUs, the CPU is split into logical devices, which must happen before TensorFlow runs its first
op. A notebook that has already run TensorFlow cannot do that any more, so it runs this script in
a fresh process:

    python scripts/mirrored_polarity_tf.py --replicas 1 2 --output runs/mirrored

For each number of replicas in ``--replicas`` the script trains a fresh model with the same
GLOBAL batch size and the same data order, evaluates it, and adds a record to
``metrics.json``. It prints short lines without paths.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

MAX_LENGTH = 64


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2],
                        help="numbers of replicas to train with, one run each (at most 8)")
    parser.add_argument("--train-size", type=int, default=320)
    parser.add_argument("--eval-size", type=int, default=200)
    parser.add_argument("--global-batch-size", type=int, default=32,
                        help="sentences per step, all replicas together")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-dropout", action="store_true",
                        help="switch dropout off (then 1 and N replicas compute the same steps)")
    parser.add_argument("--output", required=True, help="folder for metrics.json")
    args = parser.parse_args(argv)
    if any(not 1 <= r <= 8 for r in args.replicas) or len(set(args.replicas)) < len(args.replicas):
        parser.error("--replicas: different numbers between 1 and 8")
    for r in args.replicas:
        if args.global_batch_size % r:
            parser.error(f"--global-batch-size {args.global_batch_size} does not split into {r} "
                         "equal per-replica batches")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    # What utils.setup("tf") would do, minus starting TensorFlow's runtime: offline mode, Keras 2,
    # no C++ log lines. (setup() runs a TF op, after which devices can no longer be split.)
    from utils import env, offline

    env.apply()
    # This program needs no PyTorch, which transformers 4.50 would import anyway: the script's
    # peak resident memory was 2.78 GiB with it and 2.55 GiB without, for the same results.
    os.environ.setdefault("USE_TORCH", "0")
    from utils.device import silence_native_stderr

    offline.install()
    with silence_native_stderr():
        import tensorflow as tf

        # 1. Split the CPU into logical devices BEFORE any TensorFlow op runs.
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * max(args.replicas))
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        tf.constant(0)  # the runtime starts here; its log lines are silenced
    tf.get_logger().setLevel("ERROR")
    print(f"logical CPU devices: {len(devices)}", flush=True)

    import datasets
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    from utils import checkpoint, load_polarity

    datasets.disable_progress_bars()
    hf_logging.set_verbosity_error()  # the "newly initialized" warning is explained in the lesson
    encoder = checkpoint("encoder", verbose=False)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    polarity = load_polarity()
    train = polarity["train"].shuffle(seed=args.seed).select(range(args.train_size))
    valid = polarity["validation"].select(range(args.eval_size))

    def tokenize(batch):
        return tokenizer(batch["sentence"], truncation=True, max_length=MAX_LENGTH)

    train = train.map(tokenize, batched=True, remove_columns=["sentence"])
    valid = valid.map(tokenize, batched=True, remove_columns=["sentence"])
    names = train.features["label"].names

    no_dropout = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                      classifier_dropout=0.0) if args.no_dropout else {}
    records, largest_difference = [], {}
    # The first run's final weights wait on disk, not in memory, while the next runs train: 91 MB
    # less at the script's peak (the two-replica run, next to the notebook's kernel).
    first_weights = tempfile.TemporaryDirectory(prefix="mirrored-weights-")
    for run, replicas in enumerate(args.replicas):
        tf.keras.utils.set_random_seed(args.seed)  # same head initialisation, same data order
        strategy = tf.distribute.MirroredStrategy(devices[:replicas])
        per_replica = args.global_batch_size // strategy.num_replicas_in_sync
        with strategy.scope():  # variables created here are mirrored on every replica
            model = TFAutoModelForSequenceClassification.from_pretrained(
                encoder, num_labels=len(names), id2label=dict(enumerate(names)),
                label2id={name: i for i, name in enumerate(names)}, **no_dropout)
            model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=args.lr),
                          loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=["accuracy"])
        # Keras splits each GLOBAL batch between the replicas: batch with the global size.
        train_ds = model.prepare_tf_dataset(train, batch_size=args.global_batch_size, shuffle=True,
                                            tokenizer=tokenizer)
        valid_ds = model.prepare_tf_dataset(valid, batch_size=args.global_batch_size,
                                            shuffle=False, tokenizer=tokenizer)
        _, labels = next(iter(strategy.experimental_distribute_dataset(train_ds)))
        shards = [int(t.shape[0]) for t in strategy.experimental_local_results(labels)]
        print(f"replicas {strategy.num_replicas_in_sync} · global batch {args.global_batch_size} · "
              f"per-replica batch {per_replica} · first batch split {shards}", flush=True)
        start = time.perf_counter()
        history = model.fit(train_ds, epochs=args.epochs, verbose=0)
        seconds = time.perf_counter() - start
        loss, accuracy = model.evaluate(valid_ds, verbose=0)  # Keras sums the metric over replicas
        steps = int(model.optimizer.iterations.numpy())
        print(f"replicas {replicas}: {steps} steps · train loss "
              f"{history.history['loss'][-1]:.3f} · accuracy {accuracy:.3f} · training "
              f"{seconds:.1f} s", flush=True)
        if run == 0:
            for i, weight in enumerate(model.trainable_weights):
                np.save(Path(first_weights.name, f"{i}.npy"), weight.numpy())
        else:  # how far apart the runs ended, weight by weight
            largest_difference[replicas] = max(
                float(np.abs(weight.numpy() - np.load(Path(first_weights.name, f"{i}.npy"),
                                                      mmap_mode="r")).max())
                for i, weight in enumerate(model.trainable_weights))
        records.append({"replicas": replicas, "global_batch_size": args.global_batch_size,
                        "per_replica_batch_size": per_replica, "first_batch_split": shards,
                        "steps": steps, "train_loss": round(float(history.history["loss"][-1]), 4),
                        "accuracy": round(float(accuracy), 4),
                        "eval_sentences": args.eval_size, "train_seconds": round(seconds, 1)})
        # Free this run's model, optimizer and traced functions before the next run builds its own:
        # two models at once would not fit next to the notebook in 8 GB.
        del model, history, train_ds, valid_ds, strategy
        tf.keras.backend.clear_session()
        gc.collect()
    first_weights.cleanup()
    for replicas, largest in largest_difference.items():
        print(f"largest weight difference, {args.replicas[0]} vs {replicas} replicas: "
              f"{largest:.1e}", flush=True)
        records[args.replicas.index(replicas)]["largest_weight_difference"] = largest
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "metrics.json").write_text(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
