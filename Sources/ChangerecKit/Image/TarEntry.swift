/// One entry of a layer's tar stream, with its PAX and GNU extensions already applied: what the entry
/// says of one object.
struct TarEntry {
    /// The typeflag byte: `0` (or NUL, or `7`) regular file, `1` hard link, `2` symbolic link, `3`
    /// character device, `4` block device, `5` directory, `6` fifo.
    var type: UInt8
    /// The name as the archive gives it (PAX `path`, GNU long name, or ustar prefix and name).
    var name: [UInt8]
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: UInt64
    var mtimeSeconds: Int64
    var mtimeNanoseconds: UInt32
    /// The link target (PAX `linkpath`, GNU long link, or the ustar field).
    var linkName: [UInt8]
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    /// `SCHILY.xattr.NAME` records, in the order the archive gives them.
    var xattrs: [(name: [UInt8], value: [UInt8])]
    /// Where the header starts in the tar stream, for messages.
    var offset: UInt64

    var isRegular: Bool { type == 0x30 || type == 0 || type == 0x37 }
    var isDirectory: Bool { type == 0x35 }
}
