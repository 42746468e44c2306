import CChangerecLinux
import Glibc
import SystemPackage

/// An inotify instance. The corresponding C functions are `inotify_init1`, `inotify_add_watch`,
/// `inotify_rm_watch` and `read`.
public struct Inotify: ~Copyable {
    /// One record read from the instance.
    public struct Record: Sendable {
        public var watch: Int32
        public var mask: UInt32
        public var cookie: UInt32
        /// The child's name for events on a directory's entries; empty for events on the watched object.
        public var name: [UInt8]
    }

    public enum Mask {
        public static let access = UInt32(IN_ACCESS)
        public static let modify = UInt32(IN_MODIFY)
        public static let attrib = UInt32(IN_ATTRIB)
        public static let closeWrite = UInt32(IN_CLOSE_WRITE)
        public static let movedFrom = UInt32(IN_MOVED_FROM)
        public static let movedTo = UInt32(IN_MOVED_TO)
        public static let create = UInt32(IN_CREATE)
        public static let delete = UInt32(IN_DELETE)
        public static let deleteSelf = UInt32(IN_DELETE_SELF)
        public static let moveSelf = UInt32(IN_MOVE_SELF)
        public static let unmount = UInt32(IN_UNMOUNT)
        public static let queueOverflow = UInt32(IN_Q_OVERFLOW)
        public static let ignored = UInt32(IN_IGNORED)
        public static let onlyDirectory = UInt32(IN_ONLYDIR)
        public static let dontFollow = UInt32(IN_DONT_FOLLOW)
        public static let excludeUnlinked = UInt32(IN_EXCL_UNLINK)
        public static let isDirectory = UInt32(IN_ISDIR)
    }

    public let descriptor: FileDescriptor
    private var buffer: UnsafeMutableRawBufferPointer

    /// Creates a non-blocking, close-on-exec instance.
    public init() throws(Errno) {
        let fd = try valueOrErrno("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }.get()
        descriptor = FileDescriptor(rawValue: fd)
        // 256 KiB holds thousands of records: one read drains a busy queue in few system calls.
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 8)
    }

    deinit {
        buffer.deallocate()
        Glibc.close(descriptor.rawValue)
    }

    /// Watches the directory open as `directory` (through its `/proc/self/fd` link, so the watch lands on
    /// that very inode). Returns the watch descriptor; a directory already watched returns its old one.
    ///
    /// Without `/proc` (a fresh chroot, a minimal container) the link does not exist: the watch is then
    /// added to `.` after `fchdir` to the directory, which names the same inode, and the working directory
    /// is restored at once. The recorder has one thread, so nothing else sees the detour.
    ///
    /// - Throws: `ENOSPC` when `fs.inotify.max_user_watches` is exhausted.
    public func addWatch(onOpenDirectory directory: FileDescriptor, mask: UInt32) throws(Errno) -> Int32 {
        if Self.hasProcFileDescriptors {
            let path = Array("/proc/self/fd/\(directory.rawValue)".utf8)
            return try withCPath(path) { cPath in
                valueOrErrno("inotify_add_watch") { inotify_add_watch(descriptor.rawValue, cPath, mask) }
            }.get()
        }
        let saved = try valueOrErrno("open") { cchangerec_openat(AT_FDCWD, ".", CCHANGEREC_O_PATH | O_CLOEXEC, 0) }
            .get()
        defer {
            // Invariant: `saved` was the working directory a moment ago and is still open.
            _ = fchdir(saved)
            _ = Glibc.close(saved)
        }
        _ = try valueOrErrno("fchdir") { fchdir(directory.rawValue) }.get()
        return try valueOrErrno("inotify_add_watch") { inotify_add_watch(descriptor.rawValue, ".", mask) }.get()
    }

    /// Whether `/proc/self/fd` exists; read once, when the first watch is added.
    private static let hasProcFileDescriptors = access("/proc/self/fd", F_OK) == 0

    /// Stops a watch; a watch the kernel already dropped (its directory is gone) is not an error.
    public func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor.rawValue, watch)
    }

    /// The bytes of events queued now, not yet read. The corresponding C function is `ioctl(FIONREAD)`.
    public func queuedBytes() throws(Errno) -> Int {
        var count: Int32 = 0
        _ = try valueOrErrno("ioctl(FIONREAD)") { cchangerec_queued_bytes(descriptor.rawValue, &count) }.get()
        return Int(count)
    }

    /// Reads the records queued now. Returns an empty array when the queue is empty.
    public func readAvailable() throws(Errno) -> [Record] {
        var ignored = 0
        return try readAvailable(countingInto: &ignored)
    }

    /// Reads the records queued now. Returns an empty array when the queue is empty. `bytesRead` grows by the bytes read.
    public func readAvailable(countingInto bytesRead: inout Int) throws(Errno) -> [Record] {
        let count: Int
        switch valueOrErrno("read", { Glibc.read(descriptor.rawValue, buffer.baseAddress, buffer.count) }) {
        case .success(let n): count = n
        case .failure(.wouldBlock): return []
        case .failure(let error): throw error
        }
        bytesRead += count
        var records: [Record] = []
        var offset = 0
        guard let base = UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self) else { return [] }
        var raw = cchangerec_inotify_record()
        while cchangerec_inotify_record_at(base, count, offset, &raw) == 0 {
            let nameStart = base + offset + 16
            let name = Array(UnsafeBufferPointer(start: nameStart, count: Int(raw.name_length)))
            records.append(Record(watch: raw.wd, mask: raw.mask, cookie: raw.cookie, name: name))
            offset += Int(raw.record_length)
        }
        return records
    }
}
