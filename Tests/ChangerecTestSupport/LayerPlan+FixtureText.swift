import ChangerecKit
import ChangerecSystem

extension LayerPlan {
    /// The plan as fixture text, one item a line in the order the layer writes them: `object PATH TYPE`
    /// (its sealed type, or `?` when no seal says it and it is read from ROOT as it is), `opaque DIR` (the
    /// `.wh..wh..opq` marker inside DIR), `whiteout PATH` (`.wh.NAME` for PATH), then `reserved PATH` for
    /// each name an OCI layer cannot hold. `detailed` adds the rest of each object's sealed state: mode,
    /// owner, size, mtime, inode and links, and the symlink target and digests (16 hex digits) where set.
    public func fixtureLines(detailed: Bool = false) -> [String] {
        items.map { item in
            switch item {
            case .object(let path, let expected):
                guard let expected else { return "object \(path) ?" }
                var words = ["object", path.description, expected.type.name]
                if detailed { words += Self.details(expected) }
                return words.joined(separator: " ")
            case .opaqueMarker(let path): return "opaque \(path)"
            case .whiteout(let path): return "whiteout \(path)"
            }
        } + reservedPaths.map { "reserved \($0)" }
    }

    static func details(_ state: FinalState) -> [String] {
        var words = [
            "mode=" + String(state.permissions, radix: 8), "owner=\(state.uid):\(state.gid)", "size=\(state.size)",
            "mtime=\(state.mtimeSeconds).\(state.mtimeNanoseconds)", "inode=\(state.inode)",
            "links=\(state.linkCount)",
        ]
        if state.rdev != 0 { words.append("rdev=\(state.rdev)") }
        if let target = state.symlinkTarget { words.append("target=" + RelativePath.escaped(target)) }
        let hex: ([UInt8]) -> String = { bytes in
            bytes.prefix(8).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        }
        if let digest = state.contentDigest { words.append("sha256=" + hex(digest)) }
        if let digest = state.xattrDigest { words.append("xattrs=" + hex(digest)) }
        return words
    }
}
