"""Guides that cannot drift: output quoted in instructors/*.md must be in the committed notebooks.

A fenced block in a guide that is preceded by a marker line

    <!-- quote: 04_tokenizers -->            (one notebook, without .ipynb)
    <!-- quote: 02_pipeline_pt 02_pipeline_tf -->   (found in any of them)

quotes notebook output: every non-empty line of the block must occur in the committed outputs of
those solution notebooks (stdout, stderr, results, errors). ``...`` or ``…`` in a quoted line
stands for an elided part: the pieces around it must all occur in one output line, in order.
When a re-run of a notebook changes a quoted output, this test names the guide and the line.
Every lesson guide, and the pacing page and crib sheets, must carry at least one marked quote.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTRA_GUIDES = ("PACING.md", "CRIB_SHEETS.md")
GUIDES = sorted(p for p in (ROOT / "instructors").glob("[0-9][0-9]_*.md")) + [
    ROOT / "instructors" / name for name in EXTRA_GUIDES if (ROOT / "instructors" / name).is_file()]
MARKER = re.compile(r"^<!-- quote: ([\w ]+) -->\s*$")
ELISION = re.compile(r"\s*(?:\.\.\.|…)\s*")


def output_lines(notebook: Path) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                text = out["text"]
            elif kind in ("execute_result", "display_data"):
                text = out.get("data", {}).get("text/plain", "")
            elif kind == "error":
                text = f"{out.get('ename')}: {out.get('evalue')}"
            else:
                continue
            texts.append("".join(text) if isinstance(text, list) else text)
    return [line.rstrip() for text in texts for line in text.splitlines()]


def quotes(guide: Path) -> list[tuple[int, list[str], list[str]]]:
    """(line number, notebooks, quoted lines) for each marked block of a guide."""
    lines = guide.read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        assert i + 1 < len(lines) and lines[i + 1].startswith("```"), \
            f"{guide.name}:{i + 1}: a quote marker must be followed by a fenced block"
        end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
        found.append((i + 1, match.group(1).split(), lines[i + 2:end]))
    return found


def line_found(quoted: str, outputs: list[str]) -> bool:
    pieces = [p for p in ELISION.split(quoted.strip()) if p]
    for line in outputs:
        position = 0
        for piece in pieces:
            position = line.find(piece, position)
            if position < 0:
                break
            position += len(piece)
        else:
            return True
    return False


@pytest.mark.parametrize("guide", GUIDES, ids=[g.stem for g in GUIDES])
def test_every_marked_quote_is_in_the_committed_outputs(guide):
    marked = quotes(guide)
    assert marked, f"{guide.name} has no marked quote (<!-- quote: NOTEBOOK --> before a block)"
    problems = []
    for number, notebooks, block in marked:
        outputs = []
        for name in notebooks:
            path = ROOT / "solutions" / f"{name}.ipynb"
            assert path.is_file(), f"{guide.name}:{number}: no notebook solutions/{name}.ipynb"
            outputs += output_lines(path)
        for offset, quoted in enumerate(block, 1):
            if quoted.strip() and not line_found(quoted, outputs):
                problems.append(f"{guide.name}:{number + offset}: {quoted.strip()!r} is not in "
                                f"the outputs of {', '.join(notebooks)}")
    assert not problems, "\n".join(problems)


def test_line_matching():
    outputs = ["static   wall 10.5 s (speed-up 1.0×) · CPU 10.5 s (speed-up 1.0×)"]
    assert line_found("static   wall 10.5 s (speed-up 1.0×) · CPU 10.5 s (speed-up 1.0×)", outputs)
    assert line_found("static ... CPU 10.5 s", outputs)
    assert not line_found("static   wall 20.5 s", outputs)
    assert not line_found("CPU 10.5 s ... static", outputs)  # pieces must come in order
