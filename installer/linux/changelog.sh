#!/usr/bin/env bash
# A Debian changelog entry for version $1 (a native package has one, gzipped, in its doc folder).
set -euo pipefail
cat <<LOG
winreflink ($1) unstable; urgency=medium

  * Release $1.

 -- WinReflink developers <winreflink@users.noreply.github.com>  $(date -R -u -d @"${SOURCE_DATE_EPOCH:-0}")
LOG
