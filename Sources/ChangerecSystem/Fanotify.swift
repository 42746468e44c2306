import CChangerecLinux
import Glibc
import SystemPackage

/// An fanotify group reporting directory handles, entry names and target handles.
/// The corresponding C functions are `fanotify_init`, `fanotify_mark` and `read`.
///
/// - Important: needs CAP_SYS_ADMIN; `FAN_REPORT_DFID_NAME_TARGET` and `FAN_RENAME` need Linux 5.17.
public final class Fanotify {
    /// One info record: which object (or directory) and, for directory-entry records, which name.
    public struct Info: Sendable {
        public enum Kind: UInt8, Sendable {
            case object = 1  // FAN_EVENT_INFO_TYPE_FID
            case directoryEntry = 2  // FAN_EVENT_INFO_TYPE_DFID_NAME
            case directory = 3  // FAN_EVENT_INFO_TYPE_DFID
            case oldDirectoryEntry = 10  // FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
            case newDirectoryEntry = 12  // FAN_EVENT_INFO_TYPE_NEW_DFID_NAME
        }
        public var kind: Kind
        public var handle: FileHandleKey
        public var name: [UInt8]
    }

    /// One event: its (possibly merged) mask, the process behind it and its info records, at most one of
    /// each kind. Held in fields rather than an array: one array per event read is one allocation per event.
    public struct Record: Sendable {
        public var mask: UInt64
        public var pid: Int32
        /// The object itself (`FAN_EVENT_INFO_TYPE_FID`).
        public var object: Info?
        /// A directory and a name in it (`FAN_EVENT_INFO_TYPE_DFID_NAME`).
        public var entry: Info?
        /// A directory alone (`FAN_EVENT_INFO_TYPE_DFID`).
        public var directory: Info?
        /// A rename's old and new directory entries.
        public var oldEntry: Info?
        public var newEntry: Info?

        public init(mask: UInt64, pid: Int32) {
            self.mask = mask
            self.pid = pid
        }

        /// Every info record the event carries.
        public var infos: [Info] { [object, entry, directory, oldEntry, newEntry].compactMap { $0 } }

        /// Keeps `info` in the field of its kind; the first of a kind stays.
        mutating func add(_ info: Info) {
            switch info.kind {
            case .object: if object == nil { object = info }
            case .directoryEntry: if entry == nil { entry = info }
            case .directory: if directory == nil { directory = info }
            case .oldDirectoryEntry: if oldEntry == nil { oldEntry = info }
            case .newDirectoryEntry: if newEntry == nil { newEntry = info }
            }
        }
    }

    public enum Mask {
        public static let modify = UInt64(FAN_MODIFY)
        public static let closeWrite = UInt64(FAN_CLOSE_WRITE)
        public static let attrib = UInt64(FAN_ATTRIB)
        public static let create = UInt64(FAN_CREATE)
        public static let delete = UInt64(FAN_DELETE)
        public static let movedFrom = UInt64(FAN_MOVED_FROM)
        public static let movedTo = UInt64(FAN_MOVED_TO)
        public static let rename = UInt64(FAN_RENAME)
        public static let deleteSelf = UInt64(FAN_DELETE_SELF)
        public static let moveSelf = UInt64(FAN_MOVE_SELF)
        public static let onDirectory = UInt64(FAN_ONDIR)
        public static let openExec = UInt64(FAN_OPEN_EXEC)

        public static let queueOverflow = UInt64(FAN_Q_OVERFLOW)
    }

    public let descriptor: FileDescriptor
    private let buffer: UnsafeMutableRawBufferPointer
    /// The directory handle decoded last: a burst of changes in one directory carries the same handle in
    /// record after record, which then shares one array instead of copying its bytes each time.
    private var lastDirectoryHandle: FileHandleKey?

    /// `fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME_TARGET | FAN_UNLIMITED_QUEUE | FAN_CLOEXEC | FAN_NONBLOCK)`.
    ///
    /// - Throws: `EPERM` without CAP_SYS_ADMIN, `EINVAL` on a kernel without these report flags.
    public init() throws(Errno) {
        let flags =
            UInt32(FAN_CLASS_NOTIF) | UInt32(FAN_REPORT_DFID_NAME) | UInt32(FAN_REPORT_FID)
            | UInt32(FAN_REPORT_TARGET_FID) | UInt32(FAN_UNLIMITED_QUEUE) | UInt32(FAN_CLOEXEC)
            | UInt32(FAN_NONBLOCK)
        let fd = try valueOrErrno("fanotify_init") { fanotify_init(flags, UInt32(O_RDONLY)) }.get()
        descriptor = FileDescriptor(rawValue: fd)
        // Large reads keep up with an event storm: the queue is unlimited, so memory, not events, is at stake.
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
    }

    deinit {
        buffer.deallocate()
        Glibc.close(descriptor.rawValue)
    }

    /// Marks the whole file system holding `path` (`FAN_MARK_FILESYSTEM`).
    ///
    /// - Throws: `EXDEV` for a btrfs subvolume or a bind mount of a subtree on some kernels, `EOPNOTSUPP`
    ///   for overlayfs without `nfs_export`, `ENODEV` for file systems without handles (FUSE).
    public func markFilesystem(of path: [UInt8], mask: UInt64) throws(Errno) {
        let flags = UInt32(FAN_MARK_ADD) | UInt32(FAN_MARK_FILESYSTEM)
        _ = try withCPath(path) { cPath in
            valueOrErrno("fanotify_mark") {
                cchangerec_fanotify_mark(descriptor.rawValue, flags, mask, AT_FDCWD, cPath)
            }
        }.get()
    }

    /// Marks the whole file system holding the open directory `directory` (`FAN_MARK_FILESYSTEM` with a
    /// NULL path), whether or not it is a mount point this process can see.
    ///
    /// - Throws: as the form taking a path.
    public func markFilesystem(of directory: FileDescriptor, mask: UInt64) throws(Errno) {
        let flags = UInt32(FAN_MARK_ADD) | UInt32(FAN_MARK_FILESYSTEM)
        _ = try valueOrErrno("fanotify_mark") {
            cchangerec_fanotify_mark(descriptor.rawValue, flags, mask, directory.rawValue, nil)
        }.get()
    }

    /// How many events are queued now, not yet read. The kernel's `FIONREAD` counts each queued event
    /// as one bare `fanotify_event_metadata` (24 bytes), without its info records, so it counts events,
    /// not the bytes a read returns. The corresponding C function is `ioctl(FIONREAD)`.
    public func queuedEvents() throws(Errno) -> Int {
        var count: Int32 = 0
        _ = try valueOrErrno("ioctl(FIONREAD)") { cchangerec_queued_bytes(descriptor.rawValue, &count) }.get()
        return Int(count) / MemoryLayout<fanotify_event_metadata>.size
    }

    /// Reads the events queued now; empty when none are.
    public func readAvailable() throws(Errno) -> [Record] {
        let count: Int
        switch valueOrErrno("read", { Glibc.read(descriptor.rawValue, buffer.baseAddress, buffer.count) }) {
        case .success(let n): count = n
        case .failure(.wouldBlock): return []
        case .failure(let error): throw error
        }
        guard let base = UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self) else { return [] }
        var records: [Record] = []
        var offset = 0
        var raw = cchangerec_fan_event()
        while cchangerec_fanotify_event_at(base, count, offset, &raw) == 0 {
            if raw.fd >= 0 { Glibc.close(raw.fd) }  // FID-reporting groups send no descriptors; be safe
            var record = Record(mask: raw.mask, pid: raw.pid)
            withUnsafeBytes(of: raw.info) { tuple in
                let items = tuple.bindMemory(to: cchangerec_fan_info.self)
                for item in items.prefix(Int(raw.info_count)) {
                    guard let kind = Info.Kind(rawValue: item.type), item.handle_length > 0 else { continue }
                    let handle = handle(of: item, in: base, isDirectory: kind != .object)
                    // An empty name (an object's record) allocates nothing.
                    let name =
                        item.name_length == 0
                        ? []
                        : Array(UnsafeBufferPointer(start: base + Int(item.name_offset), count: Int(item.name_length)))
                    record.add(Info(kind: kind, handle: handle, name: name))
                }
            }
            records.append(record)
            offset += Int(raw.event_length)
        }
        return records
    }

    /// The handle of an info record; a directory's is the last one decoded when its bytes are the same.
    private func handle(of item: cchangerec_fan_info, in base: UnsafePointer<UInt8>, isDirectory: Bool)
        -> FileHandleKey
    {
        let fsid = UInt64(UInt32(bitPattern: item.fsid0)) | UInt64(UInt32(bitPattern: item.fsid1)) << 32
        let bytes = UnsafeBufferPointer(start: base + Int(item.handle_offset), count: Int(item.handle_length))
        if isDirectory, let last = lastDirectoryHandle, last.fsid == fsid, last.type == item.handle_type,
            last.bytes.elementsEqual(bytes)
        {
            return last
        }
        let handle = FileHandleKey(fsid: fsid, type: item.handle_type, bytes: Array(bytes))
        if isDirectory { lastDirectoryHandle = handle }
        return handle
    }
}
