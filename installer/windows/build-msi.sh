#!/usr/bin/env bash
# Builds the MSI: build-msi.sh VERSION CLI_DIR MODULE_DIR OUT.msi, from the win-x64 publish of the CLI
# and the PowerShell module folder (tools/package calls it; the installer tests call it again to make
# an upgrade). The module keeps only its Windows x64 native library.
set -euo pipefail
version="$1" cli="$2" module="$3" msi="$4"
here="$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$module" "$work/WinReflink"
find "$work/WinReflink/runtimes" -mindepth 1 -maxdepth 1 ! -name win-x64 -exec rm -rf {} +
# wixl takes a File Source only relative to the current folder.
"$here/folder-fragment.sh" "$(realpath --relative-to=. "$cli")" CliFiles INSTALLDIR > "$work/cli.wxs"
"$here/folder-fragment.sh" "$(realpath --relative-to=. "$work/WinReflink")" ModuleFiles MODULEDIR > "$work/module.wxs"
rm -f "$msi"
# The launcher passes \winreflink\<instance> and the drive letter (winfsp.md 6.1).
wixl -a x64 -D Version="$version" -D LauncherCommandLine='mount --launcher %1 %2' \
  -o "$msi" "$here/WinReflink.wxs" "$work/cli.wxs" "$work/module.wxs"
# wixl has no Environment element: the machine PATH entry is a row added to the built package, with
# the two standard actions that write and remove it.
cp "$here/Environment.idt" "$work/"
msibuild "$msi" -i "$work/Environment.idt"
msibuild "$msi" -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('RemoveEnvironmentStrings', 3300)"
msibuild "$msi" -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('WriteEnvironmentStrings', 5200)"
