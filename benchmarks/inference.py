"""Benchmark 2: inference speed on the 400 polarity test sentences, with the same sentiment
weights in PyTorch and TensorFlow: a per-sentence loop, a batched `pipeline`, and a batched
model call (batch 32, dynamic padding). Sentences per second, and ratios.

    python benchmarks/inference.py [--repeat 3]
"""

import argparse
import statistics
import time

import common  # noqa: F401  (environment)
import numpy as np

from utils import checkpoint, load_polarity
from utils.device import import_tensorflow_quietly

BATCH = 32


def timed(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def pt_runners(path, sentences):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    pipe = pipeline("sentiment-analysis", model=model, tokenizer=tokenizer, framework="pt")

    def loop():
        with torch.no_grad():
            return np.concatenate([torch.softmax(model(**tokenizer(s, return_tensors="pt")).logits,
                                                 -1).numpy() for s in sentences])

    def batched():
        out = []
        with torch.no_grad():
            for i in range(0, len(sentences), BATCH):
                enc = tokenizer(sentences[i:i + BATCH], padding=True, return_tensors="pt")
                out.append(torch.softmax(model(**enc).logits, -1).numpy())
        return np.concatenate(out)

    return {"per-sentence loop": loop,
            "pipeline (batch 32)": lambda: pipe(sentences, batch_size=BATCH),
            "batched model call": batched}


def tf_runners(path, sentences):
    tf = import_tensorflow_quietly()
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification, pipeline

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = TFAutoModelForSequenceClassification.from_pretrained(path)
    pipe = pipeline("sentiment-analysis", model=model, tokenizer=tokenizer, framework="tf")

    def loop():
        return np.concatenate([tf.nn.softmax(model(**tokenizer(s, return_tensors="tf")).logits,
                                             -1).numpy() for s in sentences])

    def batched():
        out = []
        for i in range(0, len(sentences), BATCH):
            enc = tokenizer(sentences[i:i + BATCH], padding=True, return_tensors="tf")
            out.append(tf.nn.softmax(model(**enc).logits, -1).numpy())
        return np.concatenate(out)

    return {"per-sentence loop": loop,
            "pipeline (batch 32)": lambda: pipe(sentences, batch_size=BATCH),
            "batched model call": batched}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sentences = list(load_polarity()["test"]["sentence"])
    path = checkpoint("sentiment", verbose=False)
    print(f"machine: {common.machine()}; {len(sentences)} sentences, median of "
          f"{args.repeat} runs\n", flush=True)
    results, probs = {}, {}
    for fw, make in [("PyTorch", pt_runners), ("TensorFlow", tf_runners)]:
        for name, fn in make(path, sentences).items():
            seconds, out = timed(fn, args.repeat)
            results[(fw, name)] = len(sentences) / seconds
            if name == "batched model call":
                probs[fw] = out
            print(f"{fw:<10} {name:<20} {results[(fw, name)]:8.1f} sentences/s", flush=True)
    base = results[("PyTorch", "per-sentence loop")]
    rows = [[fw, name, f"{sps:.0f}", f"{sps / base:.1f}×"] for (fw, name), sps in results.items()]
    print()
    print(common.table(["framework", "method", "sentences/s", "× PyTorch loop"], rows))
    diff = np.abs(probs["PyTorch"] - probs["TensorFlow"]).max()
    print(f"\nsame weights: PyTorch and TensorFlow probabilities differ by at most {diff:.1e}")


if __name__ == "__main__":
    main()
