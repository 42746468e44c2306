// The one function of the torture's C calls that cannot be a static inline wrapper: it owns a jump buffer.
#include "CChangerecTorture.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>

static sigjmp_buf cchangerec_torture_bus_jump;

static void cchangerec_torture_on_bus_error(int signal) {
    (void)signal;
    siglongjmp(cchangerec_torture_bus_jump, 1);
}

int cchangerec_torture_store(void *mapping, const void *bytes, size_t count) {
    struct sigaction action, previous;
    memset(&action, 0, sizeof action);
    action.sa_handler = cchangerec_torture_on_bus_error;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous) != 0) return -1;
    int result = 0;
    if (sigsetjmp(cchangerec_torture_bus_jump, 1) == 0) {
        memcpy(mapping, bytes, count);
    } else {
        result = -1;
        errno = EFAULT;
    }
    sigaction(SIGBUS, &previous, NULL);
    return result;
}
