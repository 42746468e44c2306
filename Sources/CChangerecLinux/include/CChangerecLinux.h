// The C shim of changerec: kernel interfaces that Swift cannot call directly.
//
// Each function here is a one-line wrapper with its reason: a function-like macro Swift does not
// import, a system call without a glibc wrapper, or a variable-length kernel record whose fields
// Swift cannot reach safely. Nothing else lives here; the Swift side is ChangerecSystem.
#ifndef CCHANGEREC_LINUX_H
#define CCHANGEREC_LINUX_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "cchangerec_isolation.h"
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* Linux 5.3 */
#endif
#ifndef SYS_openat2
#define SYS_openat2 437 /* Linux 5.6 */
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08 /* Linux 5.6 */
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04 /* Linux 5.6 */
#endif

/// AT_EMPTY_PATH is visible only with _GNU_SOURCE, which Swift's importer does not set.
#define CCHANGEREC_AT_EMPTY_PATH 0x1000 /* Linux 2.6.39 */

_Static_assert(sizeof(struct inotify_event) == 16, "inotify_event header layout");
_Static_assert(offsetof(struct inotify_event, name) == 16, "inotify_event name offset");

/// errno is a thread-local macro; Swift cannot read it directly.
static inline int cchangerec_errno(void) { return errno; }
static inline void cchangerec_set_errno(int value) { errno = value; }

/// ioctl(2) is variadic, which Swift cannot call: FIONREAD, the bytes queued on a notification descriptor.
static inline int cchangerec_queued_bytes(int fd, int *count) { return ioctl(fd, FIONREAD, count); }

/// pidfd_open(2) has no glibc wrapper in Debian 12's glibc 2.36.
static inline int cchangerec_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/// openat2(2) has no glibc wrapper in glibc 2.36; `how` is a struct Swift would have to build by hand.
static inline int cchangerec_openat2(int dirfd, const char *path, int flags, uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)flags;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/// open(2) is variadic in C, which Swift does not import.
static inline int cchangerec_openat(int dirfd, const char *path, int flags, mode_t mode) {
    return openat(dirfd, path, flags, mode);
}

/// The wait-status macros are function-like macros.
static inline int cchangerec_wifexited(int status) { return WIFEXITED(status); }
static inline int cchangerec_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int cchangerec_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int cchangerec_wtermsig(int status) { return WTERMSIG(status); }

/// major()/minor()/makedev() are macros.
static inline unsigned int cchangerec_major(dev_t dev) { return major(dev); }
static inline unsigned int cchangerec_minor(dev_t dev) { return minor(dev); }

/// prctl(2) is variadic.
static inline int cchangerec_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

/// The sigset_t operations may be macros, and the set is opaque to Swift.
static inline int cchangerec_sigset_of(sigset_t *set, const int *signals, int count) {
    if (sigemptyset(set) != 0) return -1;
    for (int i = 0; i < count; i++) {
        if (sigaddset(set, signals[i]) != 0) return -1;
    }
    return 0;
}

/// An inotify read buffer holds variable-length records: a fixed header then `len` bytes of
/// NUL-padded name. Swift reads the header through these accessors instead of rebinding memory.
struct cchangerec_inotify_record {
    int32_t wd;
    uint32_t mask;
    uint32_t cookie;
    uint32_t name_length; // bytes before the first NUL, 0 when the event has no name
    uint32_t record_length; // header plus padded name: the offset of the next record
};

static inline int cchangerec_inotify_record_at(const uint8_t *buffer, size_t available, size_t offset,
                                               struct cchangerec_inotify_record *out) {
    if (offset + sizeof(struct inotify_event) > available) return -1;
    struct inotify_event event;
    memcpy(&event, buffer + offset, sizeof event);
    if (offset + sizeof event + event.len > available) return -1;
    out->wd = event.wd;
    out->mask = event.mask;
    out->cookie = event.cookie;
    out->name_length = (uint32_t)strnlen((const char *)buffer + offset + sizeof event, event.len);
    out->record_length = (uint32_t)(sizeof event + event.len);
    return 0;
}

/// d_type of a dirent64 record returned by getdents64; glibc's readdir gives the same through `struct dirent`,
/// whose d_name is a fixed array Swift imports as a tuple.
static inline const char *cchangerec_dirent_name(const struct dirent *entry) { return entry->d_name; }
static inline unsigned char cchangerec_dirent_type(const struct dirent *entry) { return entry->d_type; }
static inline uint64_t cchangerec_dirent_inode(const struct dirent *entry) { return entry->d_ino; }

/// posix_spawn's attribute setters take an opaque struct; flags are plain ints but the sigset is not.
static inline int cchangerec_spawnattr_reset_signals(posix_spawnattr_t *attr, const int *signals, int count) {
    sigset_t empty, defaults;
    sigemptyset(&empty);
    if (cchangerec_sigset_of(&defaults, signals, count) != 0) return -1;
    int rc = posix_spawnattr_setsigmask(attr, &empty);
    if (rc != 0) return rc;
    rc = posix_spawnattr_setsigdefault(attr, &defaults);
    if (rc != 0) return rc;
    return posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

/// stdout is a global variable Swift 6 treats as shared mutable state; only this process's main thread uses it.
static inline FILE *cchangerec_stdout(void) { return stdout; }

// MARK: - fanotify
//
// The functions declared here without a body live in shim.c: they use `struct file_handle`,
// `name_to_handle_at` and the proc connector's structs, which glibc declares only with _GNU_SOURCE —
// set for the C target, not for Swift's importer.

#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000 /* Linux 5.17 */
#endif
#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID 0x00001000 /* Linux 5.17 */
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10 /* Linux 5.17 */
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif
#ifndef FAN_MARK_FILESYSTEM
#define FAN_MARK_FILESYSTEM 0x00000100 /* Linux 4.20 */
#endif

_Static_assert(sizeof(struct fanotify_event_metadata) == 24, "fanotify_event_metadata layout");
_Static_assert(sizeof(struct fanotify_event_info_header) == 4, "fanotify_event_info_header layout");

/// fanotify_mark(2)'s mask is 64-bit and its path may be NULL; a fixed signature keeps Swift's import simple.
static inline int cchangerec_fanotify_mark(int fd, unsigned int flags, uint64_t mask, int dirfd, const char *path) {
    return fanotify_mark(fd, flags, mask, dirfd, path);
}

/// One info record of an fanotify event: a file handle with its file system id, and for the *_NAME
/// types the entry name that follows the handle. Offsets are into the read buffer.
struct cchangerec_fan_info {
    uint8_t type;
    int32_t fsid0, fsid1;
    int32_t handle_type;
    uint32_t handle_offset, handle_length;
    uint32_t name_offset, name_length;
};

/// An fanotify event record: the fixed metadata, then up to four info records.
struct cchangerec_fan_event {
    uint64_t mask;
    int32_t pid;
    int32_t fd;
    uint32_t event_length;
    uint32_t info_count;
    struct cchangerec_fan_info info[4];
};

/// Decodes the variable-length record at `offset`: metadata, then info records each starting with a
/// header giving its type and length; a handle is a `struct file_handle` whose size is in its first
/// field, and a name follows it NUL-terminated. Returns -1 when the record does not fit.
int cchangerec_fanotify_event_at(const uint8_t *buffer, size_t available, size_t offset,
                                               struct cchangerec_fan_event *out);

/// name_to_handle_at(2) takes a variable-length struct; this fills `bytes` (up to 128) instead.
int cchangerec_name_to_handle(int dirfd, const char *path, int flags, uint8_t *bytes,
                              uint32_t *length, int32_t *type, int32_t *mount_id);

/// open_by_handle_at(2) takes the same variable-length struct.
int cchangerec_open_by_handle(int mount_fd, const uint8_t *bytes, uint32_t length, int32_t type, int flags);

/// O_PATH is visible only with _GNU_SOURCE.
#define CCHANGEREC_O_PATH 010000000


/// The f_fsid of statfs is a struct of two ints Swift imports as a tuple.
static inline int cchangerec_fsid(int fd, int32_t *fsid0, int32_t *fsid1) {
    struct statfs s;
    int rc = fstatfs(fd, &s);
    if (rc != 0) return rc;
    memcpy(fsid0, &s.f_fsid, sizeof(int32_t));
    memcpy(fsid1, ((const char *)&s.f_fsid) + sizeof(int32_t), sizeof(int32_t));
    return 0;
}

// MARK: - CRC-32C (crc32c.c)

/// Whether this processor has CRC-32C instructions (x86-64 SSE 4.2, the ARMv8 CRC extension): intrinsics
/// enabled per function and a run-time check, which Swift cannot express.
int cchangerec_crc32c_hardware(void);

/// Continues a CRC-32C (reflected 0x82F63B78, pre- and post-inverted) over `length` bytes with those
/// instructions. Only when `cchangerec_crc32c_hardware()` says they exist.
uint32_t cchangerec_crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length);

// MARK: - Process events (the netlink proc connector)

/// Opens a netlink connector socket subscribed to process events (fork, exec, comm, exit): the kernel
/// sends them in order, so a process is known before any change it makes is read.
int cchangerec_proc_events_open(void);

/// One process event: what happened (PROC_EVENT_FORK, _EXEC, _COMM, _EXIT), the process, and for a
/// fork its parent; for a comm change the new name.
struct cchangerec_proc_event {
    uint32_t what;
    int32_t pid;
    int32_t parent;
    char comm[16];
};

/// Decodes the netlink messages in `buffer` into `out`; returns how many were decoded.
int cchangerec_proc_events_decode(const uint8_t *buffer, size_t length, struct cchangerec_proc_event *out, int capacity);

// MARK: - Removing a partial output on SIGINT, SIGTERM and SIGHUP

/// Until cleared, an interrupting signal unlinks `path` (copied; at most PATH_MAX bytes) and then
/// takes its default action again. A signal handler must be C: it may call only async-signal-safe
/// functions (unlink, signal, raise).
void cchangerec_remove_on_signal(const char *path);
void cchangerec_remove_on_signal_clear(void);

// MARK: - deflate blocks and CRC-32 (zlib)

/// An opaque raw deflate stream, reset for each block it compresses. zlib's z_stream holds pointers
/// Swift would have to manage across calls; the shim keeps it on the C side.
typedef struct cchangerec_deflater cchangerec_deflater;

/// Starts a raw deflate stream (deflateInit2 with windowBits -15, memLevel 8, the default strategy).
/// Returns NULL when out of memory.
cchangerec_deflater *cchangerec_deflater_open(int level);

/// An upper bound of what `cchangerec_deflate_block` writes for `length` bytes (deflateBound, plus
/// the few bytes of the sync flush marker).
size_t cchangerec_deflate_bound(cchangerec_deflater *deflater, size_t length);

/// Compresses one block as pigz does: deflateReset, deflateSetDictionary with the `dictionary_length`
/// (at most 32 KiB) bytes that precede the block, then one deflate call with Z_SYNC_FLUSH — the block
/// ends on a byte boundary with the last-block bit clear, so blocks concatenate into one deflate stream
/// — or, for the `last` block, Z_FINISH. The output depends on the level, the dictionary and the block
/// only. Returns the bytes written to `output`, -2 when `capacity` was too small, -1 on a zlib error.
long cchangerec_deflate_block(cchangerec_deflater *deflater, const uint8_t *dictionary, size_t dictionary_length,
                              const uint8_t *input, size_t length, uint8_t *output, size_t capacity, int last);

void cchangerec_deflater_close(cchangerec_deflater *deflater);

/// zlib's crc32 and crc32_combine, whose uLong and z_off_t are not the fixed-width types Swift expects.
uint32_t cchangerec_crc32(uint32_t crc, const uint8_t *bytes, size_t length);
uint32_t cchangerec_crc32_combine(uint32_t first, uint32_t second, uint64_t second_length);

// MARK: - gzip decompression (zlib, inflate.c)

/// An opaque inflate stream for gzip data (inflateInit2 with windowBits 15 + 16), kept on the C side
/// for the same reason as the deflater.
typedef struct cchangerec_inflater cchangerec_inflater;

/// Starts a gzip inflate stream; NULL when out of memory.
cchangerec_inflater *cchangerec_inflater_open(void);

/// Inflates from `input` into `output` and sets how much was consumed and produced. Concatenated gzip
/// members are read as one stream. Returns 1 when a member has just ended (the stream may end here), 0
/// when more input or output room is needed, -1 with `reason` set on corrupt data.
int cchangerec_inflate_step(cchangerec_inflater *inflater, const uint8_t *input, size_t length, uint8_t *output,
                            size_t capacity, size_t *consumed, size_t *produced, const char **reason);

void cchangerec_inflater_close(cchangerec_inflater *inflater);

// MARK: - zstd, loaded at run time

/// libzstd is loaded with dlopen when `--compress zstd` asks for it: a fresh Debian has the library
/// (libzstd1) but not its headers, so the few declarations used are made here, and changerec runs
/// without it until zstd is asked for. Returns 0 when `library` loads and has every function needed
/// (the first such library is the one used), -1 with a one-line reason (dlerror's, or the missing
/// function) in `reason`, or -2 in a statically linked executable, which has no dynamic loader to load
/// it with. Call it from one thread at a time.
int cchangerec_zstd_load(const char *library, char *reason, size_t capacity);

/// ZSTD_versionNumber of the loaded library (e.g. 10504 for 1.5.4); 0 before a load.
unsigned cchangerec_zstd_version(void);

typedef struct cchangerec_zstd cchangerec_zstd;

/// A compression context with the parameters that decide the bytes set explicitly: `level`, no
/// content size (a stream's size is not known ahead), a content checksum, no dictionary id, and
/// `workers` threads (ZSTD_c_nbWorkers, at least 1: libzstd's multi-threaded format is the same for
/// any number of workers, its single-threaded one is not). NULL with `reason` set when libzstd refuses
/// a parameter (built without threads) or is out of memory.
cchangerec_zstd *cchangerec_zstd_open(int level, int workers, const char **reason);

/// ZSTD_compressStream2: compresses `length` bytes of `input` (ZSTD_e_continue) or, with `end`,
/// ends the frame (ZSTD_e_end) into `output`; sets how much was consumed and produced. Returns 1
/// when the frame is finished, 0 to be called again, -1 with `reason` set on an error.
int cchangerec_zstd_step(cchangerec_zstd *stream, const uint8_t *input, size_t length, uint8_t *output,
                         size_t capacity, size_t *consumed, size_t *produced, int end, const char **reason);

void cchangerec_zstd_close(cchangerec_zstd *stream);

typedef struct cchangerec_zstd_decoder cchangerec_zstd_decoder;

/// A decompression context (ZSTD_createDCtx); NULL when libzstd is not loaded or out of memory.
cchangerec_zstd_decoder *cchangerec_zstd_decoder_open(void);

/// ZSTD_decompressStream: decompresses from `input` into `output` and sets how much was consumed and
/// produced. Concatenated frames are read as one stream. Returns 1 when a frame has just been decoded
/// and flushed whole (the stream may end here), 0 when more input or output room is needed, -1 with
/// `reason` set on corrupt data.
int cchangerec_zstd_decoder_step(cchangerec_zstd_decoder *decoder, const uint8_t *input, size_t length,
                                 uint8_t *output, size_t capacity, size_t *consumed, size_t *produced,
                                 const char **reason);

void cchangerec_zstd_decoder_close(cchangerec_zstd_decoder *decoder);

/// The number of processors this process may run on (sched_getaffinity and CPU_COUNT, a function-like
/// macro); at least 1.
int cchangerec_available_processors(void);

/// Takes SWIFT_BACKTRACE out of the environment again if it was set only so that a statically linked
/// runtime could start without /proc (see runtime_path.c).
void cchangerec_restore_environment(void);

/// The environment array glibc keeps for the process (declared here: unistd.h hides it without _GNU_SOURCE).


extern char **environ;
static inline char **cchangerec_environ(void) { return environ; }

/// The arguments the process was started with, as glibc handed them to the program's constructors;
/// NULL (and 0) if no constructor ran. Swift's CommandLine reads /proc/self/cmdline on Linux, which a
/// fresh chroot or a minimal container does not have: without /proc it is empty.
char **cchangerec_arguments(int *count);


// MARK: - Extended attributes relative to a directory descriptor

/// `listxattrat(2)` (Linux 6.13): the names of `path`'s extended attributes, `path` relative to `dirfd`,
/// not following a final symbolic link. No glibc wrapper yet. -1 with errno ENOSYS on an older kernel,
/// where callers fall back to the `l*xattr` calls on a `/proc/self/fd` path.
static inline long cchangerec_listxattrat(int dirfd, const char *path, char *list, size_t size) {
    unsigned int flags = AT_SYMLINK_NOFOLLOW | (path[0] == 0 ? CCHANGEREC_AT_EMPTY_PATH : 0);
    return syscall(465 /* __NR_listxattrat */, dirfd, path, flags, list, size);
}

/// `getxattrat(2)` (Linux 6.13): the value of one attribute; as `cchangerec_listxattrat`.
static inline long cchangerec_getxattrat(int dirfd, const char *path, const char *name, void *value, size_t size) {
    struct {
        uint64_t value;
        uint32_t size;
        uint32_t flags;
    } args = {(uint64_t)(uintptr_t)value, (uint32_t)size, 0};
    unsigned int flags = AT_SYMLINK_NOFOLLOW | (path[0] == 0 ? CCHANGEREC_AT_EMPTY_PATH : 0);
    return syscall(464 /* __NR_getxattrat */, dirfd, path, flags, name, &args, sizeof args);
}

#endif
