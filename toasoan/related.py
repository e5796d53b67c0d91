""""Xem thêm": related articles by shared officials, tags and category; pure and deterministic."""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

from .model import Article
from .urls import tag_key
from .workers import parallel_map

OFFICIAL_WEIGHT = 3
TAG_WEIGHT = 2
CATEGORY_WEIGHT = 1
# Candidates are the articles nearest in time on each shared official's and tag's list, so the
# work per article stays bounded however large the archive grows (news relates to recent news).
NEIGHBOURS = 40


Inputs = tuple[tuple[str, ...], tuple[str, ...], str]
"""What one article's picks and the others' read of it: its officials, tag keys and category."""


def related_inputs(articles: Sequence[Article]) -> list[Inputs]:
    """All that the picks depend on, in the articles' order: officials, tag keys and category."""
    return [
        (tuple(sorted({r.official_id for r in a.officials if r.official_id})), tuple(sorted({tag_key(t) for t in a.tags})), a.category)
        for a in articles
    ]


def related_articles(articles: Sequence[Article], count: int, jobs: int = 1) -> list[list[int]]:
    """For each article (given newest first), the indexes of up to `count` related ones:
    most shared officials, tags and category first, newer first among equals, never itself."""
    if count <= 0:
        return [[] for _ in articles]
    return parallel_map(_pick, range(len(articles)), jobs, _index(articles, count), None)


# Below this many articles to pick for again, the picks are made in this process: forking a
# pool costs more than it saves.
_IN_PROCESS = 2_000


def related_again(
    articles: Sequence[Article], count: int, picks: Sequence[Sequence[int]],
    was: Mapping[int, Inputs], jobs: int = 1,
) -> list[list[int]]:
    """What `related_articles` gives after the articles at the indexes of `was` changed what the
    picks read (`was`: their `related_inputs` before), none of them moved in the order: `picks`
    (the picks before) kept for every article the change cannot reach, the others picked again.

    An article's picks read its own keys, the lists of articles of each of its officials and tags
    (its neighbours there), the categories of its candidates and its category's list. An edited
    article changes only the lists of the officials and tags it had or has (so only their
    members, which are the articles that may count it as a candidate, are picked again) and,
    when its category changed, the two categories' lists (so their members too)."""
    if count <= 0:
        return [[] for _ in articles]
    index = _index(articles, count)
    again: set[int] = set(was)
    for i, (officials, tags, category) in was.items():
        new_officials, new_tags = index.keys_of[i]
        for official in {*officials, *new_officials}:
            again.update(index.by_official.get(official, ()))
        for tag in {*tags, *new_tags}:
            again.update(index.by_tag.get(tag, ()))
        if category != index.category_of[i]:
            again.update(index.by_category.get(category, ()))
            again.update(index.by_category[index.category_of[i]])
    order = sorted(again)
    found = parallel_map(_pick, order, jobs if len(order) > _IN_PROCESS else 1, index, None)
    result = [list(p) for p in picks]
    for i, picked in zip(order, found, strict=True):
        result[i] = picked
    return result


def _index(articles: Sequence[Article], count: int) -> _Index:
    by_official: dict[str, list[int]] = defaultdict(list)
    by_tag: dict[str, list[int]] = defaultdict(list)
    by_category: dict[str, list[int]] = defaultdict(list)
    keys_of: list[tuple[list[str], list[str]]] = []
    for i, article in enumerate(articles):
        officials = sorted({r.official_id for r in article.officials if r.official_id})
        tags = sorted({tag_key(t) for t in article.tags})
        keys_of.append((officials, tags))
        for official in officials:
            by_official[official].append(i)
        for tag in tags:
            by_tag[tag].append(i)
        by_category[article.category].append(i)
    category_of = [a.category for a in articles]
    return _Index(count, keys_of, category_of, dict(by_official), dict(by_tag), dict(by_category))


@dataclass(frozen=True, slots=True)
class _Index:
    count: int
    keys_of: list[tuple[list[str], list[str]]]
    category_of: list[str]
    by_official: dict[str, list[int]]
    by_tag: dict[str, list[int]]
    by_category: dict[str, list[int]]


def _pick(indexes: Sequence[int], index: _Index) -> list[list[int]]:
    count, total = index.count, len(index.category_of)
    by_official, by_tag, by_category, category_of = index.by_official, index.by_tag, index.by_category, index.category_of
    result: list[list[int]] = []
    for i in indexes:
        officials, tags = index.keys_of[i]
        category = category_of[i]
        # Weighted hits: each shared official counts OFFICIAL_WEIGHT times, each tag TAG_WEIGHT.
        hits = Counter(chain.from_iterable(_near(by_official[o], i) for o in officials))
        scores: Counter[int] = Counter({j: n * OFFICIAL_WEIGHT for j, n in hits.items()})
        for j, n in Counter(chain.from_iterable(_near(by_tag[t], i) for t in tags)).items():
            scores[j] += n * TAG_WEIGHT
        scores.pop(i, None)
        # One integer per candidate: higher score first, then the newer (smaller index).
        ranked = heapq.nlargest(
            count,
            ((s + (CATEGORY_WEIGHT if category_of[j] == category else 0)) * total + (total - j) for j, s in scores.items()),
        )
        picks = [total - (key % total or total) for key in ranked]
        if len(picks) < count:
            chosen = set(picks)
            for j in by_category[category]:
                if j != i and j not in chosen:
                    picks.append(j)
                    chosen.add(j)
                    if len(picks) == count:
                        break
        result.append(picks)
    return result


def _near(indexes: list[int], i: int) -> list[int]:
    """The NEIGHBOURS entries of a sorted index list on each side of article `i`."""
    if len(indexes) <= 2 * NEIGHBOURS + 1:
        return indexes
    at = bisect.bisect_left(indexes, i)
    return indexes[max(0, at - NEIGHBOURS) : at + NEIGHBOURS + 1]
