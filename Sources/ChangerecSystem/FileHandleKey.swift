/// A file system object's identity as the kernel gives it in fanotify events: the file system id and
/// an opaque file handle. Stable across renames, unlike a path.
public struct FileHandleKey: Hashable, Sendable {
    public var fsid: UInt64
    public var type: Int32
    public var bytes: [UInt8]

    public init(fsid: UInt64, type: Int32, bytes: [UInt8]) {
        self.fsid = fsid
        self.type = type
        self.bytes = bytes
    }

    /// The handle's bytes in one call (see `Hasher.combine(contentsOf:)`): every event looks one up.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(fsid)
        hasher.combine(type)
        hasher.combine(contentsOf: bytes)
    }
}
