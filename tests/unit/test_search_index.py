"""The word index's own CBOR encoder (`search._encoded_word`): the bytes cbor2 writes, whatever
the entry holds, and the size estimate the chunks are cut by."""

from __future__ import annotations

import random
from typing import Any

import cbor2
import pytest

from toasoan.search import _encoded_word, _first_locations


def _pages(rng: random.Random, count: int) -> list[Any]:
    pages = []
    for _ in range(count):
        locations = [rng.choice([-25, -169, -13]), *(rng.randrange(0, 3000) for _ in range(rng.randrange(0, 6)))]
        pages.append([rng.randrange(0, 300), locations, []])
    return pages


def _estimate(word: list[Any]) -> int:
    """The estimate as it was written before the encoder made it (4 bytes a page, 2 a location,
    a character a letter of each spelling)."""
    def pages(found: list[Any]) -> int:
        return 4 * len(found) + 2 * sum(len(page[1]) for page in found)

    return len(word[0]) + pages(word[1]) + sum(len(v[0]) + pages(v[1]) for v in (word[2] if len(word) > 2 else ()))


def test_random_entries_are_encoded_as_cbor2_does() -> None:
    rng = random.Random(8)
    for _ in range(300):
        word = ["chuyển", _pages(rng, rng.randrange(0, 40)), [["chuyen", _pages(rng, rng.randrange(0, 5))] for _ in range(rng.randrange(0, 3))]]
        encoded, size = _encoded_word(word)
        assert encoded == cbor2.dumps(word)
        assert size == _estimate(word)


@pytest.mark.parametrize(
    "word",
    [
        ["số", [[1, [-25, 70_000, 2**40], []], [0, [-(2**33), -70_000], []], [70_000, [1], []]], []],  # beyond the tables
        ["số", [[1, [-25, 5], [3]], [2, [1]], [3, [4], [], "x"]], []],  # not the usual shape
        ["số", [[5, [], []]], [["so", [[1, [2], []]], "extra"]], "more"],  # extra fields
        ["số", [[4000, [-25] + [1] * 5000, []]], []],  # long arrays
        ["số", [], []],
        ["số", [[1, [2.5, None], []], [2.0, [1], []]]],  # no variants, not integers
    ],
)
def test_unusual_entries_are_encoded_as_cbor2_does(word: list[Any]) -> None:
    encoded, size = _encoded_word(word)
    assert encoded == cbor2.dumps(word)
    assert size == _estimate(word)


def test_a_common_word_keeps_its_heaviest_location_in_each_page() -> None:
    title = -(7 * 24 + 1)
    pages = [[0, [-25, 4, 9, title, 0], []], [1, [7, 3], []], [2, [-25, 2], []]]
    _first_locations(pages, 30)
    assert [page[1] for page in pages] == [[title, 0], [7], [-25, 2]]
    rare = [[0, [-25, 4, 9], []]]
    _first_locations(rare, 31)  # in fewer than one page in ten: every location kept
    assert rare[0][1] == [-25, 4, 9]
