"""Reading back large values with the cyclic collector paused, and what it leaves as it was."""

from __future__ import annotations

import gc
import pickle

from toasoan.checked import collector_paused
from toasoan.model import OfficialRef


def test_a_value_read_with_the_collector_paused_joins_the_oldest_generation_unwalked() -> None:
    payload = pickle.dumps([[OfficialRef(name=str(i))] for i in range(50_000)])
    gc.collect()
    with collector_paused():
        assert not gc.isenabled()
        value = pickle.loads(payload)
    assert gc.isenabled()
    # No young collection is due to walk the 100,000 containers just made: they are in the
    # oldest generation already.
    assert gc.get_count()[0] < 100
    assert any(found is value for found in gc.get_objects(generation=2))
    assert len(value) == 50_000 and value[-1][0].name == "49999"


def test_the_collector_stays_as_the_caller_left_it() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # disabled before: still disabled
    finally:
        gc.enable()


def test_objects_frozen_by_the_caller_stay_frozen() -> None:
    """`serve` keeps its plan off the collector (`gc.freeze`): a read must not give it back."""
    kept = [[OfficialRef(name=str(i))] for i in range(1_000)]
    gc.freeze()
    try:
        with collector_paused():
            pickle.loads(pickle.dumps([[1]] * 100))
        # Still in the permanent generation, which the collector's lists leave out. (Not the
        # freeze count: in a full test run other frozen objects may be freed meanwhile.)
        tracked = {id(o) for o in gc.get_objects()}
        assert not tracked.intersection(id(o) for pair in kept for o in (pair, pair[0])) and id(kept) not in tracked
    finally:
        gc.unfreeze()
    assert id(kept) in {id(o) for o in gc.get_objects()}  # the check above can fail: unfrozen, they are listed
