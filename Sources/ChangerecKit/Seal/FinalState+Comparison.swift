extension FinalState {
    /// The recorded fields of a final state that can differ, as ``differences(_:_:)`` names them. The inode
    /// and link count are not among them: they say where the object lives, not what it holds.
    struct Fields: OptionSet, Sendable {
        let rawValue: UInt16

        static let type = Fields(rawValue: 1 << 0)
        static let permissions = Fields(rawValue: 1 << 1)
        /// The user or the group id.
        static let owner = Fields(rawValue: 1 << 2)
        static let size = Fields(rawValue: 1 << 3)
        /// The seconds or the nanoseconds.
        static let mtime = Fields(rawValue: 1 << 4)
        static let symlinkTarget = Fields(rawValue: 1 << 5)
        static let rdev = Fields(rawValue: 1 << 6)
        static let contentDigest = Fields(rawValue: 1 << 7)
        static let xattrDigest = Fields(rawValue: 1 << 8)
    }

    /// The fields in which `a` and `b` differ: the one comparison of final states, for the layer's drift
    /// check (the sealed state against the tree now) and for `diff` (two seals).
    ///
    /// Every field is compared whatever the types, so a size differs between a file and a directory too:
    /// which fields matter for which types is each caller's to say, as its output has always said it.
    /// A missing state (`nil`: gone, or unknown) holds no value, so it differs from a present one in every
    /// field but the optional ones (symbolic link target, content digest, xattrs digest), which it differs
    /// in only where the present state has one.
    static func differences(_ a: FinalState?, _ b: FinalState?) -> Fields {
        var fields: Fields = []
        if a?.type != b?.type { fields.insert(.type) }
        if a?.permissions != b?.permissions { fields.insert(.permissions) }
        if a?.uid != b?.uid || a?.gid != b?.gid { fields.insert(.owner) }
        if a?.size != b?.size { fields.insert(.size) }
        if a?.mtimeSeconds != b?.mtimeSeconds || a?.mtimeNanoseconds != b?.mtimeNanoseconds {
            fields.insert(.mtime)
        }
        if a?.symlinkTarget != b?.symlinkTarget { fields.insert(.symlinkTarget) }
        if a?.rdev != b?.rdev { fields.insert(.rdev) }
        if a?.contentDigest != b?.contentDigest { fields.insert(.contentDigest) }
        if a?.xattrDigest != b?.xattrDigest { fields.insert(.xattrDigest) }
        return fields
    }
}
