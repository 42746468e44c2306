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

/// RENAME_EXCHANGE, from <linux/fs.h> (Linux 3.15).
static const unsigned int CCHANGEREC_TORTURE_RENAME_EXCHANGE = 1 << 1;
/// O_TMPFILE, visible only with _GNU_SOURCE (Linux 3.11); it includes O_DIRECTORY.
static const int CCHANGEREC_TORTURE_O_TMPFILE = 020000000 | O_DIRECTORY;
/// AT_EMPTY_PATH, visible only with _GNU_SOURCE (Linux 2.6.39).
static const int CCHANGEREC_TORTURE_AT_EMPTY_PATH = 0x1000;

/// O_PATH, visible only with _GNU_SOURCE (Linux 2.6.39).
static const int CCHANGEREC_TORTURE_O_PATH = 010000000;
/// UTIME_OMIT is a macro with a cast that Swift does not import.
static const long CCHANGEREC_TORTURE_UTIME_OMIT = (1l << 30) - 2l;

#endif
