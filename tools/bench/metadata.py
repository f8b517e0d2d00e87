#!/usr/bin/env python3
"""Times create, stat and unlink of N empty files in one new directory; prints one JSON object.

Before the stat phase the kernel's dentry and inode caches are dropped (root only), so every stat
is a LOOKUP that reaches the filesystem daemon instead of an answer from the kernel's cache (FUSE
mounts differ in how long they let the kernel keep attributes; the daemon's speed is what is compared).
"""
import json
import os
import sys
import time


def drop_dentries():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2\n")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: metadata.py DIRECTORY COUNT")
    directory, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(directory)
    names = [os.path.join(directory, f"f{i:06d}") for i in range(count)]
    result = {"files": count}

    start = time.perf_counter()
    for name in names:
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    result["create_s"] = time.perf_counter() - start

    drop_dentries()
    start = time.perf_counter()
    for name in names:
        os.stat(name)
    result["stat_s"] = time.perf_counter() - start

    start = time.perf_counter()
    for name in names:
        os.unlink(name)
    result["unlink_s"] = time.perf_counter() - start
    os.rmdir(directory)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
