#!/usr/bin/env bash
# Writes a WiX fragment with one component per file of the win-x64 publish folder (component group
# CliFiles). wixl derives each component's GUID from its path (Guid="*"), so the same file keeps the
# same component from one version to the next. The executable's component is CliExe: the PATH entry
# is attached to it.
set -euo pipefail
publish="$1"
echo '<?xml version="1.0" encoding="utf-8"?>'
echo '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi"><Fragment>'
echo '  <ComponentGroup Id="CliFiles" Directory="INSTALLDIR">'
n=0
while IFS= read -r -d '' file; do
  name="$(basename "$file")"
  if [ "$name" = winreflink.exe ]; then
    id=CliExe
  else
    n=$((n + 1))
    id="File$n"
  fi
  printf '    <Component Id="%s" Guid="*" Win64="yes"><File Id="%s" Name="%s" Source="%s" KeyPath="yes" /></Component>\n' \
    "$id" "$id" "$name" "$file"
done < <(find "$publish" -maxdepth 1 -type f -print0 | sort -z)
echo '  </ComponentGroup>'
echo '</Fragment></Wix>'
