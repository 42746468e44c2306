import CChangerecLinux
import Glibc
import Synchronization
import SystemPackage

/// Extended attributes of an object named relative to a directory descriptor, never following a final
/// symbolic link.
///
/// Linux 6.13 has `listxattrat`/`getxattrat`, which take the directory descriptor itself. Older kernels
/// have only the path-taking `l*xattr` calls, so there the directory is reached through its
/// `/proc/self/fd` link: the kernel resolves that to the open directory itself, not to a path that could
/// have been swapped for a symbolic link since. Without either (an older kernel in a chroot without
/// `/proc`) the attributes cannot be read, and that is an error, never "no attributes".
public enum Xattrs {
    /// Set once a call has said ENOSYS; the seal reads attributes on several threads.
    private static let atCallsMissing = Atomic<Bool>(false)

    /// Every attribute of `name` in `directory`, sorted by name.
    /// The corresponding C functions are `listxattrat` and `getxattrat`, else `llistxattr` and `lgetxattr`.
    public static func all(of name: [UInt8], in directory: FileDescriptor) throws(Errno) -> [(
        name: [UInt8], value: [UInt8]
    )] {
        if !atCallsMissing.load(ordering: .relaxed) {
            do {
                return try read(.relative(directory, name))
            } catch .noFunction {
                // A kernel before 6.13: every later call goes through /proc.
                atCallsMissing.store(true, ordering: .relaxed)
            }
        }
        // ENOSYS, not ENOTSUP: "this file system has none" must never be read into it.
        guard access("/proc/self/fd", F_OK) == 0 else { throw .noFunction }
        return try read(.procPath(Array("/proc/self/fd/\(directory.rawValue)/".utf8) + name))
    }

    private static func read(_ source: Source) throws(Errno) -> [(name: [UInt8], value: [UInt8])] {
        let names = try list(source)
        var result: [(name: [UInt8], value: [UInt8])] = []
        for attribute in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            do {
                result.append((attribute, try value(of: attribute, source)))
            } catch .noData {
                continue  // removed between the list and the read
            }
        }
        return result
    }

    /// How the object is named to the kernel: relative to its directory, or by a `/proc/self/fd` path.
    private enum Source {
        case relative(FileDescriptor, [UInt8])
        case procPath([UInt8])

        func list(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int) -> Result<Int, Errno> {
            switch self {
            case .relative(let directory, let name):
                withCPath(name) { cPath in
                    valueOrErrno("listxattrat") { cchangerec_listxattrat(directory.rawValue, cPath, buffer, size) }
                }.map { Int($0) }
            case .procPath(let path):
                withCPath(path) { cPath in valueOrErrno("llistxattr") { llistxattr(cPath, buffer, size) } }
            }
        }

        func get(_ attribute: [UInt8], _ buffer: UnsafeMutableRawPointer?, _ size: Int) -> Result<Int, Errno> {
            withCPath(attribute) { cAttribute in
                switch self {
                case .relative(let directory, let name):
                    withCPath(name) { cPath in
                        valueOrErrno("getxattrat") {
                            cchangerec_getxattrat(directory.rawValue, cPath, cAttribute, buffer, size)
                        }
                    }.map { Int($0) }
                case .procPath(let path):
                    withCPath(path) { cPath in
                        valueOrErrno("lgetxattr") { lgetxattr(cPath, cAttribute, buffer, size) }
                    }
                }
            }
        }
    }

    private static func list(_ source: Source) throws(Errno) -> [[UInt8]] {
        while true {
            let size = try source.list(nil, 0).get()
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            let got = buffer.withUnsafeMutableBytes { raw in
                source.list(raw.baseAddress?.assumingMemoryBound(to: CChar.self), size)
            }
            switch got {
            case .success(let count):
                return buffer[0..<count].split(separator: 0).map(Array.init)
            case .failure(.outOfRange):
                continue  // grew between the two calls
            case .failure(let error):
                throw error
            }
        }
    }

    private static func value(of attribute: [UInt8], _ source: Source) throws(Errno) -> [UInt8] {
        while true {
            let size = try source.get(attribute, nil, 0).get()
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            let got = buffer.withUnsafeMutableBytes { raw in source.get(attribute, raw.baseAddress, size) }
            switch got {
            case .success(let count): return Array(buffer[0..<count])
            case .failure(.outOfRange): continue
            case .failure(let error): throw error
            }
        }
    }
}
