extension Hasher {
    /// Feeds `bytes` to the hasher in one call. `[UInt8]`'s own `hash(into:)` feeds them one at a time,
    /// which is most of what hashing a path or a file handle costs; this is what the recorder's tables
    /// of paths and handles hash with. The count goes first, so a key holding several byte strings
    /// hashes each one apart from the next.
    public mutating func combine(contentsOf bytes: [UInt8]) {
        combine(bytes.count)
        bytes.withUnsafeBytes { combine(bytes: $0) }
    }
}
