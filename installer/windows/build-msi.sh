#!/usr/bin/env bash
# Builds the MSI from a win-x64 publish folder: build-msi.sh VERSION PUBLISH_DIR OUT.msi
# (tools/package calls it; the installer tests call it again to make an upgrade).
set -euo pipefail
version="$1" publish="$2" msi="$3"
here="$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# wixl takes a File Source only relative to the current folder.
"$here/files-fragment.sh" "$(realpath --relative-to=. "$publish")" > "$work/files.wxs"
rm -f "$msi"
# The launcher passes \winreflink\<instance> and the drive letter (winfsp.md 6.1).
wixl -a x64 -D Version="$version" -D LauncherCommandLine='mount --launcher %1 %2' \
  -o "$msi" "$here/WinReflink.wxs" "$work/files.wxs"
# wixl has no Environment element: the machine PATH entry is a row added to the built package, with
# the two standard actions that write and remove it.
cp "$here/Environment.idt" "$work/"
msibuild "$msi" -i "$work/Environment.idt"
msibuild "$msi" -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('RemoveEnvironmentStrings', 3300)"
msibuild "$msi" -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('WriteEnvironmentStrings', 5200)"
