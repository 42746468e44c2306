extension OctalMode {
    /// The permission bits `text` writes in octal, as `--chmod` takes them (`755`, `0755`, `4755`):
    /// one to four octal digits after an optional leading `0`; `nil` for anything else.
    public static func permissions(parsing text: String) -> UInt32? {
        let digits = text.count == 5 && text.hasPrefix("0") ? String(text.dropFirst()) : text
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
        return UInt32(digits, radix: 8)
    }
}
