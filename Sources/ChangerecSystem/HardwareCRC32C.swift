import CChangerecLinux

/// CRC-32C computed by the processor's own instructions (x86-64 SSE 4.2 `crc32`, the ARMv8 CRC
/// extension's `crc32c`), eight bytes per instruction: what the journal's checksums cost next to a table
/// read per byte. The corresponding C functions are `cchangerec_crc32c_hardware` and
/// `cchangerec_crc32c_update`.
public enum HardwareCRC32C {
    /// Whether this processor has the instructions; asked once.
    public static let isAvailable = cchangerec_crc32c_hardware() != 0

    /// Continues `crc` (pre- and post-inverted, as ChangerecKit's `CRC32C.update`) over `bytes`.
    ///
    /// - Important: only when ``isAvailable``; the instructions trap on a processor without them.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return cchangerec_crc32c_update(crc, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }
}
