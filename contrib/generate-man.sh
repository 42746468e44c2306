#!/usr/bin/env bash
# Regenerates the man pages in docs/man/ from the commands' own help, with swift-argument-parser's
# generate-manual plugin, then gives each page what the plugin cannot: the EXIT STATUS the command's
# help states (the plugin writes "0 on success, >0 on error" for every command) and an EXAMPLES
# section, both taken from the help's own "EXIT STATUS:" and "EXAMPLES:" paragraphs, and file names
# as man(1) expects them (changerec-record.1). The date is that of the last commit touching the CLI,
# so the pages change only when the help does. The test suite fails when docs/man/ is stale.
# Usage: contrib/generate-man.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
date=$(git log -1 --format=%cs -- Sources/changerec 2>/dev/null || true)
swift package --allow-writing-to-directory "$out" generate-manual --multi-page ${date:+--date "$date"} \
    --output-directory "$out" >&2
mkdir -p docs/man
rm -f docs/man/*.1
python3 - "$out" docs/man <<'EOF'
import os, re, sys

source, target = sys.argv[1], sys.argv[2]
# Subcommands not for people get no page and no SEE ALSO entry: ArgumentParser's help, and the copy step
# that build runs (shouldDisplay: false, which the plugin does not honour).
hidden = ["help", "copy-into"]


def dashed(name):
    return re.sub(r"^changerec\.(?=[a-z])", "changerec-", name)


for name in sorted(os.listdir(source)):
    if not name.endswith(".1") or name in ["changerec.%s.1" % command for command in hidden]:
        continue
    lines = open(os.path.join(source, name)).read().split("\n")
    start = lines.index(".Sh DESCRIPTION") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(".Bl") or lines[i].startswith(".Sh"))
    paragraphs, current = [], []
    for line in lines[start:end] + [""]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    exit_status, examples, description = None, [], []
    for paragraph in paragraphs:
        if paragraph[0].startswith("EXIT STATUS: "):
            exit_status = " ".join(paragraph)[len("EXIT STATUS: "):]
        elif paragraph[0] == "EXAMPLES:":
            examples = [line[2:] if line.startswith("  ") else line for line in paragraph[1:]]
        else:
            description += ([".Pp"] if description else []) + paragraph
    body = lines[:start] + description + lines[end:]
    at = body.index('.Sh "EXIT STATUS"')
    assert body[at + 1] == ".Ex -std", name
    assert exit_status, "%s: its help has no 'EXIT STATUS:' paragraph" % name
    section = ['.Sh "EXIT STATUS"', exit_status[0].upper() + exit_status[1:]]
    if examples:
        section += [".Sh EXAMPLES", ".Bd -literal -offset indent"] + examples + [".Ed"]
    body[at : at + 2] = section
    text = "\n".join(body)
    for command in hidden:
        text = re.sub(r"\.Xr changerec\.%s 1 ,?\n" % re.escape(command), "", text)
    text = re.sub(r"(\.Xr )changerec\.(\w+)", lambda m: m.group(1) + "changerec-" + m.group(2), text)
    text = re.sub(r"(\.Dt )CHANGEREC\.", r"\1CHANGEREC-", text)
    text = text.replace('.Nm "changerec ', '.Nm "changerec ')
    open(os.path.join(target, dashed(name)), "w").write(text.rstrip("\n") + "\n")
    print("docs/man/" + dashed(name))
EOF
