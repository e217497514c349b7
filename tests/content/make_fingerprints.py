"""Fingerprints of the source article, so the originality check needs only this repository.

The article itself is not ours to publish, so the repository holds one SHA-256 per run of RUN
consecutive words of it (normalised as `words` does), sorted, one a line, in
tests/content/seed_fingerprints.txt. A hash tells whether a page repeats a run, never what the run
says. Regenerate the file when the article changes (it is read from ../shared/seed/*.txt, beside
the repository, unless a folder is given):

    .venv/bin/python tests/content/make_fingerprints.py [SEED_DIR]
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FINGERPRINTS = Path(__file__).with_name("seed_fingerprints.txt")
SEED_DIR = REPO.parent / "shared" / "seed"
RUN = 8  # the shortest run of shared words that counts as copying


def words(text: str) -> list[str]:
    """Lower-case words, punctuation dropped: "Don't" is "dont", "micro-services" two words."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"['\u2018\u2019`]", "", text)
    return re.findall(r"[a-z0-9]+", text)


def fingerprint(run: Iterable[str]) -> str:
    """The SHA-256 (hex) of a run of words joined by single spaces."""
    return hashlib.sha256(" ".join(run).encode()).hexdigest()


def fingerprints(seq: list[str], n: int = RUN) -> set[str]:
    """The fingerprint of every run of n consecutive words in seq."""
    return {fingerprint(seq[i : i + n]) for i in range(len(seq) - n + 1)}


def from_article(seed_dir: Path) -> set[str]:
    """Fingerprints of every *.txt in seed_dir; an error naming the folder when there is none."""
    texts = sorted(seed_dir.glob("*.txt")) if seed_dir.is_dir() else []
    if not texts:
        raise SystemExit(
            f"make_fingerprints: no source article (*.txt) in {seed_dir}; "
            "give the folder that holds it as the argument"
        )
    found: set[str] = set()
    for text in texts:
        found |= fingerprints(words(text.read_text(encoding="utf-8")))
    return found


def load(path: Path = FINGERPRINTS) -> set[str]:
    """The committed fingerprints; an error naming the file and line for anything else in it."""
    found: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not re.fullmatch(r"[0-9a-f]{64}", line):
            raise ValueError(
                f"{path}:{number}: expected one SHA-256 in hex, got {line!r}; "
                "regenerate the file with tests/content/make_fingerprints.py"
            )
        found.add(line)
    return found


def write(found: set[str], path: Path = FINGERPRINTS) -> None:
    path.write_text("".join(f"{h}\n" for h in sorted(found)), encoding="utf-8")


def main(argv: list[str]) -> None:
    seed_dir = Path(argv[0]) if argv else SEED_DIR
    found = from_article(seed_dir)
    write(found)
    print(f"{FINGERPRINTS.relative_to(REPO)}: {len(found)} fingerprints from {seed_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
