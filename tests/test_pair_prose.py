"""The prose a PyTorch/TensorFlow pair shares does not drift apart.

Every lesson taught in both frameworks is a pair `<stem>_pt.ipynb` / `<stem>_tf.ipynb`. A markdown
cell of a pair is either shared (the other notebook has a cell with exactly the same text, in the
same order among the shared cells) or tagged `framework-specific` in its cell metadata, for text
that differs on purpose (class names, APIs, a framework's own behaviour). Editing a shared cell in
one notebook only fails here; the message shows the nearest cell of the other notebook.
"""

import difflib
from pathlib import Path

import pytest

from tests.helpers import markdown_cells

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
TAG = "framework-specific"
PAIRS = sorted(p.name[:-len("_pt.ipynb")] for p in SOLUTIONS.glob("*_pt.ipynb")
               if (SOLUTIONS / (p.name[:-len("_pt.ipynb")] + "_tf.ipynb")).exists())


def markdown(path: Path) -> list[tuple[str, bool]]:
    """(text, tagged framework-specific) of every markdown cell, in order."""
    return [(text, TAG in tags) for text, tags in markdown_cells(path)]


def test_every_two_framework_lesson_is_a_pair():
    names = {p.stem for p in SOLUTIONS.glob("*.ipynb")}
    unpaired = sorted(n for n in names if n.endswith(("_pt", "_tf"))
                      and n[:-3] + ("_tf" if n.endswith("_pt") else "_pt") not in names)
    assert PAIRS and len(PAIRS) >= 8
    assert unpaired == [], unpaired


@pytest.mark.parametrize("stem", PAIRS)
def test_shared_cells_are_identical(stem):
    pt, tf = markdown(SOLUTIONS / f"{stem}_pt.ipynb"), markdown(SOLUTIONS / f"{stem}_tf.ipynb")
    problems = []
    for this, other, name in ((pt, tf, "_pt"), (tf, pt, "_tf")):
        other_shared = [text for text, tagged in other if not tagged]
        for text, tagged in this:
            if tagged or text in other_shared:
                continue
            nearest = max(other_shared + [""],
                          key=lambda t: difflib.SequenceMatcher(a=text, b=t).ratio())
            diff = "\n".join(difflib.unified_diff(text.splitlines(), nearest.splitlines(),
                                                  f"{stem}{name}", "the other notebook",
                                                  lineterm="", n=0))
            problems.append(f"a shared cell of {stem}{name} has no identical twin; make the two "
                            f"cells the same, or tag the cell '{TAG}' if the difference is on "
                            f"purpose:\n{diff}")
    assert not problems, "\n\n".join(problems)
    shared_pt = [text for text, tagged in pt if not tagged]
    shared_tf = [text for text, tagged in tf if not tagged]
    assert shared_pt == shared_tf, f"{stem}: the shared cells are in a different order"
    assert shared_pt, f"{stem}: the pair shares no prose at all"
