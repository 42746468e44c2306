// All of the shim is static inline in the header; this file makes the target a C library SwiftPM can build.
#include "CChangerecLinux.h"
