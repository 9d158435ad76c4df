"""The course's datasets as local files, for ``datasets.load_dataset`` (offline, no Hub)."""

from __future__ import annotations

# utils.assets is imported where it is used: `python -m utils.assets` then runs it only once.


def data_files(name: str = "polarity") -> dict[str, str]:
    """``{split: path}`` for ``load_dataset("csv"|"text", data_files=...)``.

    ``"polarity"``: CSV files with columns ``sentence`` and ``label`` (0 negative, 1 positive)
    for the ``train`` / ``validation`` / ``test`` splits. ``"korean"``: one text file, ``train``.
    """
    from utils import assets

    if name == "polarity":
        folder = assets.verify("data-polarity")
        return {split: str(folder / f"{split}.csv") for split in assets.POLARITY_SPLITS}
    if name == "korean":
        folder = assets.verify("data-korean")
        return {"train": str(folder / "korean.txt")}
    raise ValueError(f"Unknown dataset {name!r}. Known datasets: 'polarity', 'korean'.")


def load_polarity():
    """The polarity sentences as a ``DatasetDict`` with train / validation / test splits."""
    import datasets
    from datasets import ClassLabel, load_dataset

    # The first load converts the CSV files and draws progress bars; later loads read the
    # cache and draw none. Without bars, a lesson's output is the same either way.
    datasets.disable_progress_bars()
    ds = load_dataset("csv", data_files=data_files("polarity"))
    return ds.cast_column("label", ClassLabel(names=["NEGATIVE", "POSITIVE"]))


def korean_lines() -> list[str]:
    """The Korean sample text, one paragraph a line."""
    path = data_files("korean")["train"]
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]
