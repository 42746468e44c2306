#!/usr/bin/env bash
# Records a small step, writes its layer into an OCI image layout with `changerec layer --oci-layout`,
# and has real tools from Debian's packages read the layout: `skopeo inspect oci:DIR:TAG` and
# `umoci unpack` (whose unpacked rootfs is then compared with the recorded tree). Installs them when
# missing. Usage (as root): contrib/oci-check.sh [path/to/changerec]
set -euo pipefail
. "$(dirname "$0")/../bench/common.sh"
bin=$(changerec_binary "${1:-}")
missing=()
command -v skopeo >/dev/null || missing+=(skopeo)
command -v umoci >/dev/null || missing+=(umoci)
if [ ${#missing[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root" && cd "$work/root"
"$bin" --quiet --journal "$work/step.journal" -- sh -c \
    'mkdir -p usr/bin etc && printf "#!/bin/sh\necho hi\n" > usr/bin/hi && chmod 755 usr/bin/hi && ln -s hi usr/bin/hello && echo conf > etc/app.conf'
"$bin" layer "$work/step.journal" --oci-layout "$work/layout" --tag app --json

echo "== skopeo inspect"
skopeo inspect "oci:$work/layout:app" | tee "$work/inspect.json" | head -30
grep -q '"Layers"' "$work/inspect.json"

echo "== umoci unpack"
umoci unpack --rootless --image "$work/layout:app" "$work/bundle" >/dev/null
for path in usr/bin/hi usr/bin/hello etc/app.conf; do
    if [ -L "$work/root/$path" ]; then
        [ "$(readlink "$work/bundle/rootfs/$path")" = "$(readlink "$work/root/$path")" ] || { echo "symlink $path differs"; exit 1; }
    else
        cmp "$work/root/$path" "$work/bundle/rootfs/$path" || { echo "$path differs"; exit 1; }
    fi
done
echo "umoci unpacked every file of the step intact"
