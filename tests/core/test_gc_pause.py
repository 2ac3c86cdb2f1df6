"""The collector pause around bulk row building must survive schools collected side by side in threads."""

from __future__ import annotations

import gc
import threading

from thidua.rows import cyclic_gc_paused


def test_overlapping_pauses_in_threads_leave_the_collector_enabled() -> None:
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen_by_second: list[bool] = []

    def first() -> None:
        with cyclic_gc_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with cyclic_gc_paused():
            second_in.set()
            first_out.wait(10)
            seen_by_second.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert seen_by_second == [False]  # the first thread's exit did not re-enable it during the second's pause
    assert gc.isenabled()


def test_a_pause_inside_a_disabled_collector_leaves_it_disabled() -> None:
    gc.disable()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
