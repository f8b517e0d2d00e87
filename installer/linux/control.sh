#!/usr/bin/env bash
# The .deb's DEBIAN/control for version $1 and an installed size of $2 KiB. The self-contained .NET
# runtime needs only the C and C++ runtimes (globalization is invariant: no ICU).
set -euo pipefail
cat <<CONTROL
Package: winreflink
Version: $1
Section: otherosfs
Priority: optional
Architecture: amd64
Depends: fuse3, libc6 (>= 2.27), libgcc-s1, libstdc++6
Installed-Size: $2
Maintainer: WinReflink developers <winreflink@users.noreply.github.com>
Homepage: https://github.com/winreflink/winreflink
Description: filesystem whose copies are free (FUSE)
 WinReflink keeps a volume in a folder and mounts it with FUSE. Copies made on
 it with cp, File.Copy or Copy-Item share the source's blocks: they take
 milliseconds and no space until one side changes, and clones share one copy
 of the cache in memory.
CONTROL
