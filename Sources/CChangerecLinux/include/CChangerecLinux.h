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
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
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

/// The environment array glibc keeps for the process (declared here: unistd.h hides it without _GNU_SOURCE).
extern char **environ;
static inline char **cchangerec_environ(void) { return environ; }

#endif
