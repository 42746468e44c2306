/// The constants of `docs/journal-format.md`, version 1, one for one.
public enum JournalFormat {
    public static let version: UInt16 = 1
    public static let magic: [UInt8] = [0x89, 0x43, 0x52, 0x4A, 0x0D, 0x0A, 0x1A, 0x0A]
    /// length (u32) + kind (u8) before the payload.
    public static let frameHeaderSize = 5
    /// The CRC-32C after the payload.
    public static let frameTrailerSize = 4
    public static let maximumPayload = 16 * 1024 * 1024

    public enum Kind: UInt8, Sendable {
        case header = 1
        case event = 2
        case note = 3
        case exit = 4
        case seal = 5
        case sealEnd = 6
        case process = 7
    }

    /// The `after` byte of a seal entry whose final state could not be read; an errno (`u32`) and the
    /// operation that failed (`string`) follow instead of the state.
    public static let sealUnreadable: UInt8 = 0xFF

    public enum EventFlag {
        public static let directory: UInt8 = 1 << 0
        public static let synthesized: UInt8 = 1 << 1
        public static let foreign: UInt8 = 1 << 2

    }

    public enum ExitFlag {
        public static let overflowed: UInt8 = 1 << 0
        public static let waited: UInt8 = 1 << 1
    }
}
