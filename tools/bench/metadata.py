#!/usr/bin/env python3
"""Times create, stat and unlink of N empty files in one new directory; prints one JSON object.

With --fsync-directory the create and unlink phases end with an fsync of the directory, inside their
time, so each carries the commit of its own changes. Without it a mount that commits on a timer (ours:
every 2 s) writes the creates or the unlinks whenever the timer fires: inside the stat or unlink phase,
or after the run, at random, which is what made tools/bench/scale's short big-vs-empty rows swing by a
commit's 0.1-0.3 s. os.sync() does not commit a FUSE mount: the kernel sends SYNCFS to virtiofs only.

Before the stat phase the kernel's dentry and inode caches are dropped (root only), so every stat
is a LOOKUP that reaches the filesystem daemon instead of an answer from the kernel's cache (FUSE
mounts differ in how long they let the kernel keep attributes; the daemon's speed is what is compared).
Dropping them makes the kernel send a FORGET for every inode it let go of, as many as it held (after
a walk of a big volume, hundreds of thousands); with --settle SECONDS the stat phase starts that long
after the drop, so it is not timed while the kernel and the mount work through that storm.
"""
import json
import os
import sys
import time


def drop_dentries():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2\n")


def fsync_directory(directory):
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main():
    args = sys.argv[1:]
    commit = "--fsync-directory" in args
    args = [a for a in args if a != "--fsync-directory"]
    settle = 0.0
    if "--settle" in args:
        i = args.index("--settle")
        if i + 1 >= len(args):
            sys.exit("metadata.py: --settle takes a number of seconds")
        settle = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit("usage: metadata.py DIRECTORY COUNT [--fsync-directory] [--settle SECONDS]")
    directory, count = args[0], int(args[1])
    os.makedirs(directory)
    names = [os.path.join(directory, f"f{i:06d}") for i in range(count)]
    result = {"files": count}

    start = time.perf_counter()
    for name in names:
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    if commit:
        fsync_directory(directory)
    result["create_s"] = time.perf_counter() - start

    drop_dentries()
    time.sleep(settle)
    start = time.perf_counter()
    for name in names:
        os.stat(name)
    result["stat_s"] = time.perf_counter() - start

    start = time.perf_counter()
    for name in names:
        os.unlink(name)
    if commit:
        fsync_directory(directory)
    result["unlink_s"] = time.perf_counter() - start
    os.rmdir(directory)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
