"""Lesson 11's training script in two processes: `accelerate launch` starts two CPU processes
(gloo) on a tiny subset; both must finish, agree on the final weights, and report the right
world size and effective batch size. A one-process run with gradient accumulation over the same
effective batch must end with the same weights (dropout off)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "finetune_polarity.py"
PER_DEVICE = 8
TINY = ["--train-size", "64", "--eval-size", "64", "--epochs", "1",
        "--per-device-batch-size", str(PER_DEVICE), "--no-dropout"]
# On a machine without GPUs, `--multi_gpu` is the flag that makes Accelerate start the processes
# (with torchrun); `--cpu --num_processes 2` would start one process unless MPI is configured.
LAUNCH_2 = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
            "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
            "--dynamo_backend", "no", "--main_process_port", "0"]


def _run(command):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one thread per process, as torchrun sets it
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env,
                            timeout=600)
    errors = [line for line in result.stderr.splitlines()
              if "Error" in line or "error:" in line][:20]  # the workers' own errors come first
    assert result.returncode == 0, (f"exit code {result.returncode}\n" + "\n".join(errors)
                                    + "\n...\n" + "\n".join(result.stderr.splitlines()[-15:]))
    return result


def _json(path):
    return json.loads(Path(path).read_text())


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    output = tmp_path_factory.mktemp("two_processes")
    result = _run([*LAUNCH_2, str(SCRIPT), *TINY, "--grad-accum", "1", "--output", str(output)])
    yield output, result
    shutil.rmtree(output, ignore_errors=True)  # a saved model: free the disk for the other tests


def test_both_ranks_finish_and_agree_on_the_weights(two_processes):
    output, result = two_processes
    assert sorted(p.name for p in output.glob("rank*.json")) == ["rank0.json", "rank1.json"]
    ranks = [_json(output / f"rank{r}.json") for r in range(2)]
    assert [r["rank"] for r in ranks] == [0, 1]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert ranks[0]["param_sha256"] == ranks[1]["param_sha256"]
    assert [r["train_sentences"] for r in ranks] == [32, 32]  # each rank its own half
    assert [r["optimizer_steps"] for r in ranks] == [4, 4]
    assert "processes 2 · backend gloo" in result.stdout


def test_metrics_report_world_size_and_effective_batch(two_processes):
    output, _ = two_processes
    metrics = _json(output / "metrics.json")
    assert metrics["world_size"] == 2
    assert metrics["backend"] == "gloo"
    assert metrics["effective_batch_size"] == PER_DEVICE * 2 * 1
    assert metrics["optimizer_steps"] == 64 // (PER_DEVICE * 2)
    assert metrics["eval_sentences"] == 64  # gathered, each sentence once
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["param_sha256"] == _json(output / "rank0.json")["param_sha256"]
    assert (output / "model" / "model.safetensors").is_file()
    assert (output / "model" / "config.json").is_file()


def test_one_process_with_accumulation_matches_two_processes(two_processes, tmp_path):
    """8 × 1 process × 2 accumulation = 8 × 2 processes × 1: the same global batches, the same
    averaged gradients, the same weights."""
    from safetensors.torch import load_file

    output, _ = two_processes
    _run([sys.executable, str(SCRIPT), *TINY, "--grad-accum", "2", "--output", str(tmp_path)])
    one = _json(tmp_path / "metrics.json")
    assert one["world_size"] == 1
    assert one["effective_batch_size"] == _json(output / "metrics.json")["effective_batch_size"]
    assert one["optimizer_steps"] == 4
    weights_1 = load_file(tmp_path / "model" / "model.safetensors")
    weights_2 = load_file(output / "model" / "model.safetensors")
    assert weights_1.keys() == weights_2.keys()
    worst = max((weights_1[k] - weights_2[k]).abs().max().item() for k in weights_1)
    assert worst <= 1e-6, f"weights differ by up to {worst:g}"
