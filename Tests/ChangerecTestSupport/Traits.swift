import Glibc
import Testing

extension Trait where Self == ConditionTrait {
    /// Skips, with a message naming what is missing, unless the tests run as root.
    public static var requiresRoot: Self {
        .enabled(
            if: getuid() == 0, "needs root (CAP_CHOWN, CAP_SYS_ADMIN for mounts and sysctls): run the tests as root")
    }

    /// Skips unless `python3` is on the machine; some workloads need system calls the shell cannot make.
    public static var requiresPython: Self {
        .enabled(
            if: access("/usr/bin/python3", X_OK) == 0,
            "needs /usr/bin/python3 for renameat2, O_TMPFILE and mmap workloads")
    }
}
