#!/usr/bin/env python3
"""Prints the volume figures of a mounted winreflink volume (the Info ioctl on its root) as JSON."""
import fcntl
import json
import os
import sys

# LinuxIoctl.Info in src/WinReflink.Protocol/LinuxIoctl.cs: _IOR('W', 1, 4096 bytes).
INFO_BYTES = 4096
INFO = (2 << 30) | (INFO_BYTES << 16) | (ord("W") << 8) | 1


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: volume_info.py MOUNTPOINT")
    fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
    try:
        buf = bytearray(INFO_BYTES)
        fcntl.ioctl(fd, INFO, buf)
    finally:
        os.close(fd)
    print(json.dumps(json.loads(bytes(buf).rstrip(b"\0").decode())))


if __name__ == "__main__":
    main()
