// CRC-32C with the processor's own instructions. C, not Swift: the instructions are reached through
// compiler intrinsics enabled per function (`target`), so the binary still runs on a processor without
// them, and which one to use is decided once at run time (cpuid, the auxiliary vector).
#include "CChangerecLinux.h"

#if defined(__x86_64__)
#include <cpuid.h>

/// SSE 4.2 `crc32`: eight bytes per instruction once the start is aligned.
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *bytes, size_t length) {
    uint64_t value = crc;
    while (length > 0 && ((uintptr_t)bytes & 7) != 0) {
        value = __builtin_ia32_crc32qi((uint32_t)value, *bytes++);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, sizeof word);
        value = __builtin_ia32_crc32di(value, word);
        bytes += 8;
        length -= 8;
    }
    while (length > 0) {
        value = __builtin_ia32_crc32qi((uint32_t)value, *bytes++);
        length--;
    }
    return (uint32_t)value;
}

int cchangerec_crc32c_hardware(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

uint32_t cchangerec_crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length) {
    return ~crc32c_sse42(~crc, bytes, length);
}

#elif defined(__aarch64__)
#include <sys/auxv.h>

#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7) /* arch/arm64/include/uapi/asm/hwcap.h */
#endif

/// ARMv8 CRC extension `crc32cx`: eight bytes per instruction once the start is aligned.
__attribute__((target("crc"))) static uint32_t crc32c_armv8(uint32_t crc, const uint8_t *bytes, size_t length) {
    while (length > 0 && ((uintptr_t)bytes & 7) != 0) {
        crc = __builtin_arm_crc32cb(crc, *bytes++);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, sizeof word);
        crc = __builtin_arm_crc32cd(crc, word);
        bytes += 8;
        length -= 8;
    }
    while (length > 0) {
        crc = __builtin_arm_crc32cb(crc, *bytes++);
        length--;
    }
    return crc;
}

int cchangerec_crc32c_hardware(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }

uint32_t cchangerec_crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length) {
    return ~crc32c_armv8(~crc, bytes, length);
}

#else

int cchangerec_crc32c_hardware(void) { return 0; }

uint32_t cchangerec_crc32c_update(uint32_t crc, const uint8_t *bytes, size_t length) {
    (void)bytes;
    (void)length;
    return crc;  // never called: the caller uses its table when the hardware says no
}

#endif
