/// Bytes as lowercase hexadecimal: digests in the journal's renderings, layer digests, path escapes.
public enum Hex {
    private static let digits = Array("0123456789abcdef")

    /// Two lowercase hex digits per byte, most significant first.
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out = ""
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return out
    }
}
