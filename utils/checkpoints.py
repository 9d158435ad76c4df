"""Lessons ask for a checkpoint by its role and get something ``from_pretrained`` can load.

Offline (the default, and always in the tests) a role resolves to a folder the course built
from packages (see ``utils.assets``), on Colab too. With ``COURSE_ONLINE=1`` (an explicit
opt-in, on any machine with Hub access) it resolves to a similar, bigger checkpoint on the
Hugging Face Hub instead; the lessons' numbers and some of their text then no longer hold.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ONLINE_ENV = "COURSE_ONLINE"


@dataclass(frozen=True)
class Role:
    asset: str
    hub_id: str
    what: str


ROLES: dict[str, Role] = {
    "encoder": Role("encoder", "bert-base-uncased",
                    "a pretrained BERT encoder (uncased English WordPiece vocabulary)"),
    "sentiment": Role("sentiment", "distilbert-base-uncased-finetuned-sst-2-english",
                      "an English sentiment classifier with NEGATIVE / POSITIVE labels"),
    "korean-tokenizer": Role("korean-tokenizer", "klue/bert-base",
                             "a WordPiece tokenizer trained on Korean text"),
}


class UnknownRoleError(KeyError):
    def __str__(self):  # KeyError would print the message in quotes
        return self.args[0]


def online() -> bool:
    """True when the learner opted in to Hub checkpoints with ``COURSE_ONLINE=1``."""
    return os.environ.get(ONLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _short_path(folder) -> str:
    """The folder relative to the working directory when it is nearby (``../assets/encoder``
    from a notebook): transformers prints this path in its messages, and a relative path is the
    same on every machine and shows no user's home folder."""
    try:
        relative = os.path.relpath(folder)
    except ValueError:  # another drive (Windows)
        return str(folder)
    return relative if not relative.startswith(os.path.join("..", "..", "..")) else str(folder)


def checkpoint(role: str, verbose: bool = True) -> str:
    """The checkpoint for ``role``: a local folder offline, a Hub id with ``COURSE_ONLINE=1``.

    Pass the result straight to ``from_pretrained``. Prints which one it picked.
    """
    if role not in ROLES:
        raise UnknownRoleError(
            f"Unknown checkpoint role {role!r}. Known roles: {', '.join(ROLES)}.")
    spec = ROLES[role]
    if online():
        name = spec.hub_id
        where = f"Hub checkpoint {name!r} ({ONLINE_ENV}=1)"
    else:
        from utils import assets  # here, not at the top: `python -m utils.assets` runs it only once

        name = _short_path(assets.verify(spec.asset))
        where = f"offline checkpoint {name}"
    if verbose:
        print(f"{role}: {where}")
    return name
