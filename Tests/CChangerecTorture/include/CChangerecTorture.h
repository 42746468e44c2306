// The torture workload's C calls: system calls and flags that Swift's Glibc module does not show,
// because its importer does not define _GNU_SOURCE. One-line wrappers, each with its reason.
#ifndef CCHANGEREC_TORTURE_H
#define CCHANGEREC_TORTURE_H

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

/// renameat2(2) has a glibc wrapper only under _GNU_SOURCE; the system call is called directly.
static inline int cchangerec_torture_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                                               unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

/// fallocate(2) and copy_file_range(2) have glibc wrappers only under _GNU_SOURCE.
static inline int cchangerec_torture_fallocate(int fd, int mode, off_t offset, off_t length) {
    return (int)syscall(SYS_fallocate, fd, mode, offset, length);
}
static inline ssize_t cchangerec_torture_copy_file_range(int in, int out, size_t length) {
    return (ssize_t)syscall(SYS_copy_file_range, in, NULL, out, NULL, length, 0);
}

/// Copies `count` bytes into a shared mapping; -1 with EFAULT where another process truncated the file under
/// the mapping (the store raises SIGBUS, caught here with sigsetjmp rather than killing the process).
int cchangerec_torture_store(void *mapping, const void *bytes, size_t count);

/// RENAME_NOREPLACE, RENAME_EXCHANGE and RENAME_WHITEOUT, from <linux/fs.h> (Linux 3.15, 3.15, 3.18).
static const unsigned int CCHANGEREC_TORTURE_RENAME_NOREPLACE = 1 << 0;
static const unsigned int CCHANGEREC_TORTURE_RENAME_EXCHANGE = 1 << 1;
static const unsigned int CCHANGEREC_TORTURE_RENAME_WHITEOUT = 1 << 2;
/// FALLOC_FL_KEEP_SIZE and FALLOC_FL_PUNCH_HOLE, from <linux/falloc.h> (Linux 2.6.38).
static const int CCHANGEREC_TORTURE_FALLOC_PUNCH_HOLE = 0x01 | 0x02;
/// O_TMPFILE, visible only with _GNU_SOURCE (Linux 3.11); it includes O_DIRECTORY.
static const int CCHANGEREC_TORTURE_O_TMPFILE = 020000000 | O_DIRECTORY;
/// AT_EMPTY_PATH, visible only with _GNU_SOURCE (Linux 2.6.39).
static const int CCHANGEREC_TORTURE_AT_EMPTY_PATH = 0x1000;

/// O_PATH, visible only with _GNU_SOURCE (Linux 2.6.39).
static const int CCHANGEREC_TORTURE_O_PATH = 010000000;
/// UTIME_OMIT is a macro with a cast that Swift does not import.
static const long CCHANGEREC_TORTURE_UTIME_OMIT = (1l << 30) - 2l;

#endif
