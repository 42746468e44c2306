// A Swift runtime linked statically asks dladdr() for its own path, which a static executable cannot
// answer, then falls back on /proc/self/exe; in a chroot or container without /proc it stops the
// process before main ("Unable to obtain Swift runtime path"). It asks only to find swift-backtrace,
// the crash reporter, unless SWIFT_BACKTRACE names one. So when /proc/self/exe cannot be read and the
// environment does not set SWIFT_BACKTRACE, a constructor that runs before the runtime's own sets it
// (crash reports off, which they would be anyway without the reporter), and the program takes it out of
// its environment again first thing (cchangerec_restore_environment), so the step never sees it.
#include "CChangerecLinux.h"

#include <stdlib.h>
#include <unistd.h>

static int cchangerec_backtrace_variable_set = 0;

__attribute__((constructor(101))) static void cchangerec_before_the_runtime(void) {
    if (getenv("SWIFT_BACKTRACE") != NULL) return;
    char target[8];
    if (readlink("/proc/self/exe", target, sizeof target) >= 0) return;
    if (setenv("SWIFT_BACKTRACE", "enable=no,swift-backtrace=/nonexistent", 0) == 0) {
        cchangerec_backtrace_variable_set = 1;
    }
}

void cchangerec_restore_environment(void) {
    if (!cchangerec_backtrace_variable_set) return;
    unsetenv("SWIFT_BACKTRACE");
    cchangerec_backtrace_variable_set = 0;
}
