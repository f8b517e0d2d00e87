#!/usr/bin/env bash
# Writes a WiX fragment that installs a folder tree: folder-fragment.sh FOLDER GROUP DIRECTORY
# puts every file under FOLDER (subfolders included) in component group GROUP, below the Directory
# whose Id is DIRECTORY. One component per file; wixl derives each component's GUID from its path
# (Guid="*"), so a file keeps its component from one version to the next. The component of
# winreflink.exe is CliExe: the PATH entry is attached to it. Sources are given relative to the
# current folder, the only form wixl accepts.
set -euo pipefail
folder="${1%/}" group="$2" parent="$3"
n=0
emit_dir() {
  local dir="$1" id="$2" indent="$3" entry name sub
  while IFS= read -r -d '' entry; do
    name="$(basename "$entry")"
    if [ "$name" = winreflink.exe ]; then
      sub=CliExe
    else
      n=$((n + 1)); sub="${group}File$n"
    fi
    printf '%s<Component Id="%s" Guid="*" Win64="yes"><File Id="%s" Name="%s" Source="%s" KeyPath="yes" /></Component>\n' \
      "$indent" "$sub" "$sub" "$name" "$entry"
    components+=("$sub")
  done < <(find "$dir" -mindepth 1 -maxdepth 1 -type f -print0 | sort -z)
  while IFS= read -r -d '' entry; do
    name="$(basename "$entry")"
    n=$((n + 1)); sub="${group}Dir$n"
    printf '%s<Directory Id="%s" Name="%s">\n' "$indent" "$sub" "$name"
    emit_dir "$entry" "$sub" "$indent  "
    printf '%s</Directory>\n' "$indent"
  done < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -print0 | sort -z)
}
components=()
echo '<?xml version="1.0" encoding="utf-8"?>'
echo '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi"><Fragment>'
printf '  <DirectoryRef Id="%s">\n' "$parent"
emit_dir "$folder" "$parent" "    "
echo '  </DirectoryRef>'
printf '  <ComponentGroup Id="%s">\n' "$group"
for c in "${components[@]}"; do
  printf '    <ComponentRef Id="%s" />\n' "$c"
done
echo '  </ComponentGroup>'
echo '</Fragment></Wix>'
