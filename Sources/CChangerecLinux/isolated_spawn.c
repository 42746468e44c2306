#include "cchangerec_isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/// The child's report to its parent: where it failed and why. Nothing arrives when exec succeeds, since
/// the pipe is closed on exec.
struct failure {
    int stage;
    int error;
};

static void fail(int pipe_fd, int stage) {
    struct failure report = {stage, errno};
    // Best effort: a parent that cannot read the report sees the child's exit status 127.
    ssize_t ignored = write(pipe_fd, &report, sizeof report);
    (void)ignored;
    _exit(127);
}

static int perform(const struct cchangerec_isolation_action *action) {
    switch (action->kind) {
    case CCHANGEREC_ISOLATION_MOUNT:
        return mount(action->source, action->target, action->fstype, action->flags, action->data);
    case CCHANGEREC_ISOLATION_REMOUNT_READ_ONLY:
        return mount(NULL, action->target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | action->flags, NULL);
    case CCHANGEREC_ISOLATION_MKNOD:
        return mknod(action->target, action->mode, (dev_t)action->device);
    case CCHANGEREC_ISOLATION_SYMLINK:
        return symlink(action->source, action->target);
    case CCHANGEREC_ISOLATION_MKDIR:
        return mkdir(action->target, action->mode);
    default:
        errno = EINVAL;
        return -1;
    }
}

/// `mkdir -p` of an absolute path, without allocating.
static int make_directories(const char *path) {
    char buffer[4096];
    size_t length = strlen(path);
    if (length >= sizeof buffer) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buffer, path, length + 1);
    for (size_t i = 1; i <= length; i++) {
        if (buffer[i] != '/' && buffer[i] != '\0') continue;
        char saved = buffer[i];
        buffer[i] = '\0';
        if (mkdir(buffer, 0755) != 0 && errno != EEXIST) return -1;
        buffer[i] = saved;
    }
    return 0;
}

/// Between fork and exec: only system calls, no allocation, no locks.
static void run_child(const struct cchangerec_isolation *isolation, const char *const paths[], int path_count,
                      char *const argv[], char *const envp[], const int *default_signals, int signal_count,
                      int pipe_fd) {
    if (unshare(CLONE_NEWNS) != 0) fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_UNSHARE);
    // Shared propagation would carry the step's mounts back into the host's namespace.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_PRIVATE);
    // Device nodes and directories get exactly the modes the plan gives; the step gets the umask back.
    mode_t umask_given = umask(0);
    for (int i = 0; i < isolation->action_count; i++) {
        if (perform(&isolation->actions[i]) != 0) fail(pipe_fd, i);
    }
    if (chroot(isolation->root) != 0) fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_CHROOT);
    if (chdir("/") != 0) fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_WORKDIR);
    if (chdir(isolation->workdir) != 0) {
        if (errno != ENOENT || make_directories(isolation->workdir) != 0 ||
            chdir(isolation->workdir) != 0)
            fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_WORKDIR);
    }
    umask(umask_given);
    if (isolation->change_user) {
        if (setgroups((size_t)isolation->group_count, isolation->groups) != 0 || setgid(isolation->gid) != 0 ||
            setuid(isolation->uid) != 0)
            fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_USER);
    }
    struct sigaction defaults = {0};
    defaults.sa_handler = SIG_DFL;
    for (int i = 0; i < signal_count; i++) {
        if (sigaction(default_signals[i], &defaults, NULL) != 0) fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_SIGNALS);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) != 0) fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_SIGNALS);
    // Searched here, after the mounts and the chroot, so a command under a bind mount is found.
    int denied = 0;
    errno = ENOENT;
    for (int i = 0; i < path_count; i++) {
        execve(paths[i], argv, envp);
        if (errno == EACCES) {
            denied = 1;
        } else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE) {
            break;
        }
    }
    if (denied && (errno == ENOENT || errno == ENOTDIR || errno == ESTALE)) errno = EACCES;
    fail(pipe_fd, CCHANGEREC_ISOLATION_STAGE_EXEC);
}

int cchangerec_spawn_isolated(const struct cchangerec_isolation *isolation, const char *const paths[],
                              int path_count, char *const argv[], char *const envp[], const int *default_signals,
                              int signal_count, pid_t *pid, int *stage) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        *stage = CCHANGEREC_ISOLATION_STAGE_FORK;
        return errno;
    }
    pid_t child = fork();
    if (child < 0) {
        int error = errno;
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        *stage = CCHANGEREC_ISOLATION_STAGE_FORK;
        return error;
    }
    if (child == 0) {
        close(pipe_fds[0]);
        run_child(isolation, paths, path_count, argv, envp, default_signals, signal_count, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    struct failure report;
    ssize_t got;
    do {
        got = read(pipe_fds[0], &report, sizeof report);
    } while (got < 0 && errno == EINTR);
    close(pipe_fds[0]);
    if (got == (ssize_t)sizeof report) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        *stage = report.stage;
        return report.error != 0 ? report.error : EIO;
    }
    *pid = child;
    return 0;
}
