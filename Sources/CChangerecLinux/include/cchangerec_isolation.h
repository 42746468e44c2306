// The isolated step: a child in its own mount namespace, chrooted into a root file system.
//
// The policy (which mounts, which devices, which user) is decided in Swift; this file only carries it
// out between fork and exec, where Swift code must not run.

#ifndef CCHANGEREC_ISOLATION_H
#define CCHANGEREC_ISOLATION_H

#include <stdint.h>
#include <sys/types.h>

/// What one preparation step in the child does.
enum cchangerec_isolation_kind {
    /// mount(source, target, fstype, flags, data)
    CCHANGEREC_ISOLATION_MOUNT = 1,
    /// Remounts the bind mount at target read-only, keeping the flags `flags` adds (nosuid, nodev…).
    CCHANGEREC_ISOLATION_REMOUNT_READ_ONLY = 2,
    /// mknod(target, mode, device)
    CCHANGEREC_ISOLATION_MKNOD = 3,
    /// symlink(source, target)
    CCHANGEREC_ISOLATION_SYMLINK = 4,
    /// mkdir(target, mode)
    CCHANGEREC_ISOLATION_MKDIR = 5,
};

struct cchangerec_isolation_action {
    int kind;
    const char *source;
    const char *target;
    const char *fstype;
    unsigned long flags;
    const char *data;
    unsigned int mode;
    uint64_t device;
};

struct cchangerec_isolation {
    const struct cchangerec_isolation_action *actions;
    int action_count;
    /// The root file system, chrooted into after the actions.
    const char *root;
    /// The working directory inside it, absolute; made (mode 0755, as root) when missing, like `mkdir -p`.
    const char *workdir;
    /// Non-zero: setgroups(group_count, groups), setgid(gid), setuid(uid) before exec.
    int change_user;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int group_count;
};

/// Where the child failed, when `cchangerec_spawn_isolated` returns an error: an action's index, or one
/// of these.
enum cchangerec_isolation_stage {
    CCHANGEREC_ISOLATION_STAGE_FORK = -1,
    CCHANGEREC_ISOLATION_STAGE_UNSHARE = -2,
    CCHANGEREC_ISOLATION_STAGE_PRIVATE = -3,
    CCHANGEREC_ISOLATION_STAGE_CHROOT = -4,
    CCHANGEREC_ISOLATION_STAGE_WORKDIR = -5,
    CCHANGEREC_ISOLATION_STAGE_USER = -6,
    CCHANGEREC_ISOLATION_STAGE_EXEC = -7,
    CCHANGEREC_ISOLATION_STAGE_SIGNALS = -8,
};

/// Forks a child that enters a new mount namespace (private, so nothing it mounts reaches this one),
/// carries out `isolation->actions` in order, chroots into `isolation->root`, changes to the working
/// directory and the user, restores `default_signals` to their default action with an empty mask, and
/// executes the first of `paths` (inside the new root, after the mounts) that can be executed, with `argv`
/// and `envp`, searching as `execvpe` searches PATH: a missing candidate sends the search on, and one
/// that exists but may not be executed makes the failure EACCES rather than ENOENT.
///
/// Returns 0 with the child's pid in `*pid` once the exec has succeeded; otherwise the errno of the step
/// that failed, named by `*stage` (an action index or a `cchangerec_isolation_stage`), the child reaped.
int cchangerec_spawn_isolated(const struct cchangerec_isolation *isolation, const char *const paths[],
                              int path_count, char *const argv[], char *const envp[], const int *default_signals,
                              int signal_count, pid_t *pid, int *stage);

#endif
