#!/usr/bin/env bash
# Builds the same Containerfile from the same base image with `changerec build` and with Buildah
# (`buildah bud --layers`, vfs, chroot isolation, Debian's package), runs both images with Podman and
# prints the results side by side with the build times.
#
#   contrib/compare-buildah.sh [seed|dpkg]        (as root; CHANGEREC=/path/to/changerec to skip the build,
#                                                  COMPARE_BUILDAH_KEEP=1 to keep the temporary directory)
#
#   seed  contrib/seed/Containerfile from a busybox base: a symbolic link retargeted and a file
#         rewritten to the same size, each with its old mtime put back. Prints what each image sees
#         and a verdict per builder (Buildah 1.28 loses both: containers/buildah issue #5861).
#   dpkg  contrib/dpkg/Containerfile from a Debian minbase base: COPY a few .deb files, RUN dpkg -i.
#         Prints the times and the number of entries in each builder's last layer.
#
# The base image is one OCI image layout made with `changerec record` from a root file system
# (Debian's busybox-static, or a `debootstrap --variant=minbase` chroot). Both builders read it
# through `FROM oci:base:TAG`, resolved against the current directory: Buildah 1.28 supports the oci
# transport in FROM, so the Containerfile is the same file for both.
#
# Missing tools are installed from Debian's packages (saying so). Everything the builds write is
# under one temporary directory removed on exit; Buildah, Podman and skopeo get a storage.conf and a
# containers.conf of their own there, and run in a private mount namespace (see enter_namespace).
# The minbase chroot and the .deb files are cached outside the repository, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/changerec-contrib.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/changerec-contrib
# bench/run keeps a minbase chroot of its own; when it is there it is copied instead of running
# debootstrap again (which needs the Debian mirror).
bench_cache=${CHANGEREC_BENCH_CACHE:-/var/cache/changerec-bench}
# Small packages whose dependencies a minbase system already has, so `dpkg -i` needs nothing else.
dpkg_packages=(less bzip2 xz-utils patch psmisc make)
# Where the host lacks CAP_SYS_RESOURCE (as the VMs this project's machines are), Podman cannot raise
# these limits to its defaults, and the container would not start.
podman_run=(podman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

say() { printf 'compare-buildah: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

# ---- the host: root, a namespace of our own, the tools ------------------------------------------

# Buildah, Podman and skopeo keep state outside the storage root they are given: a blob-info cache
# in /var/lib/containers/cache and network state in /run/containers. The comparison runs in a
# private mount namespace with a tmpfs over each of those, so the host's are as they were. A missing
# directory is made only to be a mount point, and removed again afterwards.
enter_namespace() {
    local made=() dir status=0
    for dir in /var/lib/containers /run/containers; do
        if [ ! -d "$dir" ]; then
            mkdir "$dir"
            made+=("$dir")
        fi
    done
    COMPARE_BUILDAH_NAMESPACE=1 unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "$@" || status=$?
    for dir in "${made[@]}"; do rmdir "$dir" || true; done
    return "$status"
}

# Installs the packages named that are not installed, saying so. runc: Podman's default runtime,
# crun, refuses a host whose cgroup v2 hierarchy has controllers while v1 is mounted too ("cgroups in
# hybrid mode not supported"), as on this machine; runc runs there, so Podman is told to use it.
# busybox-static rather than busybox: the base image has no libc for a dynamic one.
install_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return
    say "installing from Debian's packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The changerec to compare: $CHANGEREC when given, else a release build of this checkout.
changerec_binary() {
    if [ -n "${CHANGEREC:-}" ]; then
        realpath "$CHANGEREC"
        return
    fi
    say "building changerec in release mode (swift build -c release --product changerec)"
    (cd "$repo" && swift build -c release --product changerec >&2)
    echo "$repo/.build/release/changerec"
}

# Storage and engine settings for all three tools, under the temporary directory: vfs (what the
# comparison is about: a full copy of the tree per layer and a metadata walk to find the changes),
# a fresh graph root per run, runc, cgroupfs (there may be no systemd to ask) and no event log.
configure_containers() {
    local dir=$1
    mkdir -p "$dir/containers"
    cat >"$dir/containers/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$dir/storage"
runroot = "$dir/storage-run"
EOF
    cat >"$dir/containers/containers.conf" <<EOF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
tmp_dir = "$dir/libpod"
volume_path = "$dir/volumes"
[network]
network_config_dir = "$dir/networks"
EOF
    export CONTAINERS_STORAGE_CONF=$dir/containers/storage.conf
    export CONTAINERS_CONF=$dir/containers/containers.conf
    mount -t tmpfs -o mode=0700 compare-buildah /var/lib/containers
    mount -t tmpfs -o mode=0755 compare-buildah /run/containers
}

# ---- the base image ------------------------------------------------------------------------------

# A busybox root file system: the static binary, its applets as symbolic links, root in passwd and group.
make_busybox_rootfs() {
    local rootfs=$1 applet
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/root" "$rootfs/tmp"
    chmod 1777 "$rootfs/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in $("$rootfs/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\n' >"$rootfs/etc/group"
}

# A Debian minbase root file system, cached: copied from bench/run's chroot when there is one, else
# made with debootstrap. /dev's nodes, resolv.conf and apt's lists are left out: a container runtime
# provides the first two, and the lists are large and dated.
minbase_rootfs() {
    local suite rootfs partial
    # shellcheck source=/dev/null
    suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    rootfs=$cache/$suite-minbase
    if [ ! -d "$rootfs" ]; then
        partial=$rootfs.partial
        rm -rf "$partial"
        mkdir -p "$cache"
        if [ -d "$bench_cache/$suite-minbase" ]; then
            say "copying bench/run's $suite minbase chroot into $rootfs (once)"
            cp -a "$bench_cache/$suite-minbase" "$partial"
        else
            say "making a $suite minbase chroot in $rootfs (once; debootstrap --variant=minbase, log in $cache/debootstrap.log)"
            debootstrap --variant=minbase "$suite" "$partial" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
                die "debootstrap failed; see $cache/debootstrap.log"
        fi
        find "$partial/dev" -mindepth 1 -delete
        rm -f "$partial/etc/resolv.conf"
        find "$partial/var/lib/apt/lists" "$partial/var/cache/apt" -type f -delete
        mv "$partial" "$rootfs"
    fi
    echo "$rootfs"
}

# The .deb files of $dpkg_packages, fetched once with the host's apt (the host's suite is the
# chroot's) into the cache.
cached_debs() {
    local debs
    debs=$cache/debs-$(IFS=-; echo "${dpkg_packages[*]}")
    if [ ! -d "$debs" ]; then
        say "downloading ${dpkg_packages[*]} into $debs (once)"
        rm -rf "$debs.partial"
        mkdir -p "$debs.partial"
        apt-get update -qq
        (cd "$debs.partial" && apt-get download -qq -o APT::Sandbox::User=root "${dpkg_packages[@]}")
        mv "$debs.partial" "$debs"
    fi
    echo "$debs"
}

# An OCI image layout made by changerec itself: the copy of ROOTFS into an empty directory is one
# recorded step, its layer the image's only layer.
make_base_layout() {
    local rootfs=$1 layout=$2 tag=$3 scratch=$4
    mkdir -p "$scratch/base-root"
    "$changerec" record --quiet --root "$scratch/base-root" --journal "$scratch/base.journal" \
        --oci-layout "$layout" --tag "$tag" \
        -- cp -a "$rootfs/." "$scratch/base-root/"
}

# ---- building, timing, running -------------------------------------------------------------------

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Builds with Buildah from the current directory; sets buildah_seconds. Its own output (STEP lines,
# the blob copy of FROM, the commits) goes to the terminal as it comes.
build_with_buildah() {
    local containerfile=$1 context=$2 image=$3 start
    say "buildah bud --layers --storage-driver vfs --isolation chroot -f ${containerfile#"$repo/"}"
    start=$(now)
    buildah bud --layers --storage-driver vfs --isolation chroot -t "$image" -f "$containerfile" "$context"
    buildah_seconds=$(seconds "$start" "$(now)")
    say "buildah built $image in $buildah_seconds s"
}

# Builds with changerec from the current directory into the layout LAYOUT:TAG; sets changerec_seconds.
build_with_changerec() {
    local containerfile=$1 context=$2 layout=$3 tag=$4 start
    say "changerec build -f ${containerfile#"$repo/"} --oci-layout $layout --tag $tag"
    start=$(now)
    "$changerec" build -f "$containerfile" --context "$context" --oci-layout "$layout" --tag "$tag"
    changerec_seconds=$(seconds "$start" "$(now)")
    say "changerec built $layout:$tag in $changerec_seconds s"
}

# Podman reads images from the same storage; changerec's layout is copied into it by skopeo.
import_layout() {
    local layout=$1 tag=$2 image=$3
    skopeo copy --quiet "oci:$layout:$tag" "containers-storage:$image"
}

run_image() {
    "${podman_run[@]}" "$1"
}

# The names in the tar of an image's last layer, one a line. A containers-storage image is first
# copied into an OCI layout, so both builders' layers are read the same way.
last_layer_names() {
    local layout=$1 tag=$2 digest
    digest=$(skopeo inspect --raw "oci:$layout:$tag" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["layers"][-1]["digest"].split(":")[1])')
    tar -tf "$layout/blobs/sha256/$digest"
}

# Of NAMES, the host files a step's isolation binds over the image's (Buildah's #4927 leaves them in
# the layer as empty files); "(none)" when neither is there.
host_files_in() {
    local found
    found=$(grep -xE '(\./)?etc/(hosts|resolv\.conf)' <<<"$1" | sed 's|^\./||' | paste -sd' ' || true)
    echo "${found:-(none)}"
}

# The line of OUTPUT that starts with PREFIX, without the prefix; "(none)" when there is none.
field() {
    local output=$1 prefix=$2 line
    while IFS= read -r line; do
        if [[ $line == "$prefix"* ]]; then
            echo "${line#"$prefix"}"
            return
        fi
    done <<<"$output"
    echo "(none)"
}

yes_no() { if [ "$1" = "$2" ]; then echo yes; else echo no; fi; }

# ---- the two cases -------------------------------------------------------------------------------

compare_seed() {
    local containerfile=$repo/contrib/seed/Containerfile context=$work/seed-context
    local buildah_output changerec_output
    make_busybox_rootfs "$work/busybox-rootfs"
    make_base_layout "$work/busybox-rootfs" "$work/base" busybox "$work/base-step"
    mkdir -p "$context"

    # Buildah first, so that its result is on the terminal whatever changerec's build does.
    build_with_buildah "$containerfile" "$context" localhost/seed-buildah
    buildah_output=$(run_image localhost/seed-buildah)
    say "the Buildah image prints: $(tr '\n' ';' <<<"$buildah_output")"

    build_with_changerec "$containerfile" "$context" "$work/seed-layout" seed
    import_layout "$work/seed-layout" seed localhost/seed-changerec
    changerec_output=$(run_image localhost/seed-changerec)

    # What the second RUN of the Containerfile leaves: the link's new target, the new bytes.
    local want_target=file1.alt want_data=new-bytes
    local b_target b_data c_target c_data
    b_target=$(field "$buildah_output" "file2.sym -> ")
    b_data=$(field "$buildah_output" "data: ")
    c_target=$(field "$changerec_output" "file2.sym -> ")
    c_data=$(field "$changerec_output" "data: ")
    echo
    echo "== seed: contrib/seed/Containerfile from one busybox base, each image run with podman"
    printf '%-22s %-24s %s\n' "" "changerec build" "buildah bud --layers" \
        "build (wall s)" "$changerec_seconds" "$buildah_seconds" \
        "file2.sym ->" "$c_target" "$b_target" \
        "data" "$c_data" "$b_data"
    echo "time changerec/buildah: $(ratio "$changerec_seconds" "$buildah_seconds")"
    printf '%-10s keeps the retarget: %-3s  keeps the rewrite: %s\n' \
        changerec: "$(yes_no "$c_target" "$want_target")" "$(yes_no "$c_data" "$want_data")" \
        buildah: "$(yes_no "$b_target" "$want_target")" "$(yes_no "$b_data" "$want_data")"
}

compare_dpkg() {
    local containerfile=$repo/contrib/dpkg/Containerfile context=$work/dpkg-context rootfs debs
    local buildah_entries changerec_entries
    rootfs=$(minbase_rootfs)
    debs=$(cached_debs)
    make_base_layout "$rootfs" "$work/base" bookworm "$work/base-step"
    mkdir -p "$context/debs"
    cp "$debs"/*.deb "$context/debs/"

    build_with_buildah "$containerfile" "$context" localhost/dpkg-buildah
    skopeo copy --quiet containers-storage:localhost/dpkg-buildah "oci:$work/buildah-layout:dpkg"
    buildah_names=$(last_layer_names "$work/buildah-layout" dpkg)
    buildah_entries=$(wc -l <<<"$buildah_names")
    say "Buildah's last layer has $buildah_entries entries"
    run_image localhost/dpkg-buildah

    build_with_changerec "$containerfile" "$context" "$work/dpkg-layout" dpkg
    changerec_names=$(last_layer_names "$work/dpkg-layout" dpkg)
    changerec_entries=$(wc -l <<<"$changerec_names")
    import_layout "$work/dpkg-layout" dpkg localhost/dpkg-changerec
    run_image localhost/dpkg-changerec

    echo
    echo "== dpkg: contrib/dpkg/Containerfile (dpkg -i of $(find "$context/debs" -name '*.deb' | wc -l) .deb files) from one Debian minbase base"
    printf '%-24s %-24s %s\n' "" "changerec build" "buildah bud --layers" \
        "build (wall s)" "$changerec_seconds" "$buildah_seconds" \
        "last layer (entries)" "$changerec_entries" "$buildah_entries" \
        "host files in it" "$(host_files_in "$changerec_names")" "$(host_files_in "$buildah_names")"
    echo "time changerec/buildah: $(ratio "$changerec_seconds" "$buildah_seconds")"
}

# Podman leaves nothing mounted after `run --rm`, but a build stopped half-way may; whatever is still
# mounted under the directory goes first, or removing it would stop at a busy mount.
# COMPARE_BUILDAH_KEEP=1 keeps it (the layouts, the vfs storage, the base's journal) to look at.
remove_work() {
    if [ -n "${COMPARE_BUILDAH_KEEP:-}" ]; then
        say "kept $work"
        return
    fi
    findmnt -rn -o TARGET | { grep "^$work/" || true; } | sort -r | xargs -r umount -l
    rm -rf "$work"
}

# ---- main ----------------------------------------------------------------------------------------

main() {
    local case=${1:-seed}
    case $case in seed | dpkg) ;; *) die "usage: contrib/compare-buildah.sh [seed|dpkg]" ;; esac
    [ "$(id -u)" -eq 0 ] || die "needs root (changerec records with fanotify; Buildah and Podman run as root here)"
    if [ -z "${COMPARE_BUILDAH_NAMESPACE:-}" ]; then
        enter_namespace "$@"
        return
    fi

    local packages=(buildah podman skopeo runc python3)
    if [ "$case" = seed ]; then packages+=(busybox-static); else packages+=(debootstrap); fi
    install_packages "${packages[@]}"
    changerec=$(changerec_binary)

    work=$(mktemp -d)
    trap remove_work EXIT
    configure_containers "$work"
    # FROM oci:base:TAG is resolved against the current directory by both builders.
    cd "$work"
    say "buildah $(buildah --version | awk '{print $3}'), podman $(podman --version | awk '{print $3}'), skopeo $(skopeo --version | awk '{print $3}'), changerec $("$changerec" --version | head -1)"
    "compare_$case"
}

main "$@"
