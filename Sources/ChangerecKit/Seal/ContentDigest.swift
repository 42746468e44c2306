import ChangerecSystem
import Crypto
import SystemPackage

/// SHA-256 digests of what the seal records: file content and extended attributes.
enum ContentDigest {
    /// The SHA-256 of the regular file `name` in `directory`, or `nil` when it is no longer the object
    /// `expected` describes (gone, or replaced since it was stat'ed: the caller reads it again). Opened with
    /// `O_NOFOLLOW | O_NONBLOCK`: a symbolic link or a fifo swapped in meanwhile is neither followed nor
    /// waited on.
    ///
    /// - Throws: the `Errno` of any other failure to open or read it (`EACCES`, `EIO`, ...).
    static func ofFile(_ name: [UInt8], in directory: FileDescriptor, expected: FileStatus) throws(Errno) -> [UInt8]? {
        let reader: ContentReader
        do {
            reader = try ContentReader(name, in: directory)
        } catch let error where error.meansNoSuchPathBeneath {
            return nil  // gone, or (ELOOP from O_NOFOLLOW) replaced by a symbolic link since the stat
        }
        // The digest must describe the state the entry records: the same inode, unchanged since the stat
        // (`st_ctime` moves on every write and cannot be set back), and unchanged while it was read — a
        // straggler still writing would otherwise seal one size with another content.
        guard let status = try reader.status(ifStill: expected), Self.sameChange(status, expected) else {
            return nil
        }
        // Exactly the size stat'ed, as the layer writer copies it: no read to find the end, which the
        // `fstat` below stands for (a file that grew or shrank has another size or `st_ctime`).
        let digest = try reader.digest(limit: expected.size, readFailed: { $0 }).sha256
        guard Self.sameChange(try reader.status(), expected) else { return nil }
        return digest
    }

    private static func sameChange(_ a: FileStatus, _ b: FileStatus) -> Bool {
        a.ctimeSeconds == b.ctimeSeconds && a.ctimeNanoseconds == b.ctimeNanoseconds && a.size == b.size
    }

    /// The SHA-256 over `name`'s sorted xattrs (each as u32 name length, name, u32 value length, value),
    /// or `nil` when it has none (or its file system holds none).
    ///
    /// - Throws: the `Errno` of a failure to list or read them; `ENOENT` when `name` is gone meanwhile.
    static func ofXattrs(_ name: [UInt8], in directory: FileDescriptor) throws(Errno) -> [UInt8]? {
        let attributes: [(name: [UInt8], value: [UInt8])]
        do {
            attributes = try Xattrs.all(of: name, in: directory)
        } catch .notSupported {
            return nil  // a file system without extended attributes
        }
        return ofXattrList(attributes)
    }

    /// The SHA-256 of `bytes`, lowercase hex.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.string(SHA256.hash(data: bytes))
    }

    /// The SHA-256 over `attributes` in the order given (`Xattrs.all` sorts them by name), as
    /// ``ofXattrs(_:in:)`` hashes them; `nil` when there are none.
    static func ofXattrList(_ attributes: [(name: [UInt8], value: [UInt8])]) -> [UInt8]? {
        guard !attributes.isEmpty else { return nil }
        var hasher = SHA256()
        for attribute in attributes {
            for part in [attribute.name, attribute.value] {
                withUnsafeBytes(of: UInt32(part.count).littleEndian) { hasher.update(bufferPointer: $0) }
                part.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            }
        }
        return Array(hasher.finalize())
    }
}
