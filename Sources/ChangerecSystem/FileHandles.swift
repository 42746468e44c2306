import CChangerecLinux
import Glibc
import SystemPackage

/// File handles of objects, and objects from handles.
public enum FileHandles {
    /// The handle of the object open as `descriptor`, keyed with its file system's id, as fanotify reports it.
    /// The corresponding C functions are `name_to_handle_at` with `AT_EMPTY_PATH`, and `fstatfs`.
    public static func handle(of descriptor: FileDescriptor) throws(Errno) -> FileHandleKey {
        var bytes = [UInt8](repeating: 0, count: 128)
        var length: UInt32 = 0
        var type: Int32 = 0
        var mount: Int32 = 0
        _ = try withCPath([]) { empty in
            valueOrErrno("name_to_handle_at") {
                cchangerec_name_to_handle(
                    descriptor.rawValue, empty, CCHANGEREC_AT_EMPTY_PATH, &bytes, &length, &type, &mount)
            }
        }.get()
        return FileHandleKey(fsid: try fsid(of: descriptor), type: type, bytes: Array(bytes[0..<Int(length)]))
    }

    /// The id fanotify reports for the file system holding `descriptor`. The corresponding C function is `fstatfs`.
    public static func fsid(of descriptor: FileDescriptor) throws(Errno) -> UInt64 {
        var low: Int32 = 0
        var high: Int32 = 0
        _ = try valueOrErrno("fstatfs") { cchangerec_fsid(descriptor.rawValue, &low, &high) }.get()
        return UInt64(UInt32(bitPattern: low)) | UInt64(UInt32(bitPattern: high)) << 32
    }

    /// Opens the object `handle` names, on the file system `mount` is on, as an `O_PATH` descriptor.
    /// The corresponding C function is `open_by_handle_at`.
    ///
    /// - Important: needs CAP_DAC_READ_SEARCH.
    public static func open(_ handle: FileHandleKey, on mount: FileDescriptor) throws(Errno) -> FileDescriptor {
        let fd = try valueOrErrno("open_by_handle_at") {
            cchangerec_open_by_handle(
                mount.rawValue, handle.bytes, UInt32(handle.bytes.count), handle.type, CCHANGEREC_O_PATH | O_CLOEXEC)
        }.get()
        return FileDescriptor(rawValue: fd)
    }

    /// The path the kernel gives for an open descriptor today (its `/proc/self/fd` link).
    public static func currentPath(of descriptor: FileDescriptor) -> [UInt8]? {
        try? FileSystem.symlinkTarget(
            of: Array("/proc/self/fd/\(descriptor.rawValue)".utf8), in: FileDescriptor(rawValue: AT_FDCWD))
    }
}
