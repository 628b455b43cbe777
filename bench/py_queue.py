# SPDX-License-Identifier: GPL-2.0
"""Python's multiprocessing.Queue as a bench peer: one producer process,
one consumer (this one), SIZE-byte messages, a queue of 64; prints msgs/s."""
import multiprocessing as mp
import sys
import time


def produce(q, size, n):
    msg = bytes(size)
    for _ in range(n):
        q.put(msg)


def main():
    size, n = int(sys.argv[1]), int(sys.argv[2])
    mp.set_start_method("fork")
    q = mp.Queue(64)
    t0 = time.monotonic()
    p = mp.Process(target=produce, args=(q, size, n))
    p.start()
    for _ in range(n):
        q.get()
    p.join()
    print(f"{n / (time.monotonic() - t0):.1f}")


if __name__ == "__main__":
    main()
