"""A lane runs its work on threads of its own, made in the process that uses them — also after a fork."""

from __future__ import annotations

import os
import signal
import threading

from kabinet.offload import Lane, off_loop


def test_work_runs_on_the_lanes_one_thread():
    lane = Lane(1, "test-lane")
    seen = {off_loop(threading.get_ident, lane=lane) for _ in range(5)}
    assert len(seen) == 1 and threading.get_ident() not in seen


def test_a_forked_child_gets_threads_of_its_own():
    lane = Lane(1, "test-lane")
    assert off_loop(lambda: 41 + 1, lane=lane) == 42  # the parent's thread exists now
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the parent's lane thread does not exist here: a submit must not wait on it
        signal.alarm(5)  # a child stuck on the parent's thread dies, and the parent reads nothing
        try:
            os.write(write, str(off_loop(lambda: 40 + 2, lane=lane)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        got = answer.read()  # up to the child's exit
    os.waitpid(child, 0)
    assert got == "42"
