import ChangerecSystem

import struct SystemPackage.Errno

// A seal entry as one frame of the journal (kind 5, `seal`, in `docs/journal-format.md`). The types live
// in Seal/; their byte layout stays here beside every other record's, so the whole format reads in one folder.
extension SealEntry {
    func encode(into writer: inout ByteWriter) {
        writer.path(path)
        writer.u8(before?.rawValue ?? 0)
        if let unreadable {
            writer.u8(JournalFormat.sealUnreadable)
            writer.u32(UInt32(bitPattern: unreadable.errno.rawValue))
            writer.string(unreadable.operation)
            writer.u8(unreadable.type?.rawValue ?? 0)
            return
        }
        guard let after else {
            writer.u8(0)
            return
        }
        writer.u8(after.type.rawValue)
        writer.u32(after.permissions)
        writer.u32(after.uid)
        writer.u32(after.gid)
        writer.u64(after.size)
        writer.i64(after.mtimeSeconds)
        writer.u32(after.mtimeNanoseconds)
        writer.u64(after.inode)
        writer.u64(after.linkCount)
        writer.u64(after.rdev)
        writer.optional(after.symlinkTarget) { $0.data($1) }
        writer.optional(after.contentDigest) { $0.fixed($1) }
        writer.optional(after.xattrDigest) { $0.fixed($1) }
    }

    static func decode(_ reader: inout ByteReader) throws(DecodeError) -> SealEntry {
        let path = try reader.path()
        let beforeRaw = try reader.u8()
        guard let beforeType = FileType(rawValue: beforeRaw) else { throw DecodeError(reason: "unknown type") }
        let afterRaw = try reader.u8()
        if afterRaw == JournalFormat.sealUnreadable {
            let errno = Errno(rawValue: Int32(bitPattern: try reader.u32()))
            let operation = try reader.string()
            guard let type = FileType(rawValue: try reader.u8()) else { throw DecodeError(reason: "unknown type") }
            let failure = ReadFailure(errno, operation, type: type == .unknown ? nil : type)
            return SealEntry(path: path, before: beforeType == .unknown ? nil : beforeType, unreadable: failure)
        }
        guard let afterType = FileType(rawValue: afterRaw) else { throw DecodeError(reason: "unknown type") }
        let before = beforeRaw == 0 ? nil : beforeType
        guard afterRaw != 0 else { return SealEntry(path: path, before: before, after: nil) }
        let permissions = try reader.u32()
        let uid = try reader.u32()
        let gid = try reader.u32()
        let size = try reader.u64()
        let mtime = try reader.i64()
        let mtimeNanoseconds = try reader.u32()
        let inode = try reader.u64()
        let links = try reader.u64()
        let rdev = try reader.u64()
        let target = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.data() }
        let content = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.fixed(32) }
        let xattrs = try reader.optional { (r: inout ByteReader) throws(DecodeError) in try r.fixed(32) }
        // What no stat can report: the layer writer and `diff` rely on these bounds.
        guard permissions <= 0o7777 else { throw DecodeError(reason: "impossible mode \(permissions)") }
        guard mtimeNanoseconds < 1_000_000_000 else { throw DecodeError(reason: "impossible mtime nanoseconds") }
        guard size <= UInt64(Int64.max) else { throw DecodeError(reason: "impossible size \(size)") }
        guard target == nil || afterType == .symlink else {
            throw DecodeError(reason: "symlink target on a non-symlink")
        }
        guard content == nil || afterType == .regular else {
            throw DecodeError(reason: "content digest on a non-regular file")
        }
        let state = FinalState(
            type: afterType, permissions: permissions, uid: uid, gid: gid, size: size, mtimeSeconds: mtime,
            mtimeNanoseconds: mtimeNanoseconds, inode: inode, linkCount: links, rdev: rdev, symlinkTarget: target,
            contentDigest: content, xattrDigest: xattrs)
        return SealEntry(path: path, before: before, after: state)
    }
}
