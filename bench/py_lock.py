# SPDX-License-Identifier: GPL-2.0
"""Python's multiprocessing.Lock as a bench peer: PROCS processes take the
lock, count, let go, until N acquisitions in all; prints ops/s."""
import multiprocessing as mp
import sys
import time


def work(lock, count, n):
    while True:
        with lock:
            if count.value >= n:
                return
            count.value += 1


def main():
    procs, n = int(sys.argv[1]), int(sys.argv[2])
    mp.set_start_method("fork")
    lock = mp.Lock()
    count = mp.Value("l", 0, lock=False)
    t0 = time.monotonic()
    ps = [mp.Process(target=work, args=(lock, count, n)) for _ in range(procs)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print(f"{count.value / (time.monotonic() - t0):.1f}")


if __name__ == "__main__":
    main()
