import CChangerecLinux
import Glibc
import SystemPackage

/// Reads the entries of a directory from a descriptor, without `stat` unless the file system leaves
/// `d_type` unknown.
public enum DirectoryReader {
    /// Lists `directory`'s entries, `.` and `..` excluded. The descriptor stays open and owned by the caller.
    /// The corresponding C functions are `fdopendir` and `readdir`.
    public static func entries(of directory: FileDescriptor) throws(Errno) -> [DirectoryEntry] {
        // fdopendir takes ownership of the descriptor it is given, so it gets a duplicate.
        let copy = try valueOrErrno("fcntl") { fcntl(directory.rawValue, F_DUPFD_CLOEXEC, 0) }.get()
        guard let stream = fdopendir(copy) else {
            let error = currentErrno()
            Glibc.close(copy)
            throw error
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var result: [DirectoryEntry] = []
        while true {
            cchangerec_set_errno(0)
            guard let entry = readdir(stream) else {
                let error = currentErrno()
                if error.rawValue != 0 { throw error }
                break
            }
            guard let cName = cchangerec_dirent_name(entry) else { continue }
            let length = strlen(cName)
            let name = Array(
                UnsafeBufferPointer(start: UnsafeRawPointer(cName).assumingMemoryBound(to: UInt8.self), count: length))
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            var type = FileType(direntType: cchangerec_dirent_type(entry))
            if type == .unknown, let status = try? FileSystem.status(of: name, in: directory) {
                type = status.type
            }
            result.append(DirectoryEntry(name: name, type: type, inode: cchangerec_dirent_inode(entry)))
        }
        return result
    }
}
