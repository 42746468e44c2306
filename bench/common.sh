# Shared by the bench scripts: the binary to measure, built in release mode unless one is given.
# Usage: . "$(dirname "$0")/common.sh"; bin=$(changerec_binary "${1:-}")
changerec_binary() {
    local given=$1 here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    if [ -z "$given" ]; then
        (cd "$here" && swift build -c release --product changerec >/dev/null)
        given="$here/.build/release/changerec"
    fi
    realpath "$given"
}

# Installs GNU time when /usr/bin/time cannot report peak RSS.
need_gnu_time() {
    /usr/bin/time -f %M true >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
}
