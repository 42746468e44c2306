import CChangerecLinux
import Glibc
import SystemPackage

/// Extended attributes of an object named relative to a directory descriptor, never following a final
/// symbolic link. The `l*xattr` calls take a path, so the directory is reached through its
/// `/proc/self/fd` link: the kernel resolves that to the open directory itself, not to a path that could
/// have been swapped for a symbolic link since.
public enum Xattrs {
    /// Every attribute of `name` in `directory`, sorted by name.
    /// The corresponding C functions are `llistxattr` and `lgetxattr`.
    public static func all(of name: [UInt8], in directory: FileDescriptor) throws(Errno) -> [(
        name: [UInt8], value: [UInt8]
    )] {
        let path = Array("/proc/self/fd/\(directory.rawValue)/".utf8) + name
        let names = try list(path)
        var result: [(name: [UInt8], value: [UInt8])] = []
        for attribute in names.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            do {
                result.append((attribute, try value(of: attribute, path: path)))
            } catch .noData {
                continue  // removed between the list and the read
            }
        }
        return result
    }

    private static func list(_ path: [UInt8]) throws(Errno) -> [[UInt8]] {
        while true {
            let size = try withCPath(path) { cPath in valueOrErrno("llistxattr") { llistxattr(cPath, nil, 0) } }.get()
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            let got = withCPath(path) { cPath in
                buffer.withUnsafeMutableBytes { raw in
                    valueOrErrno("llistxattr") {
                        llistxattr(cPath, raw.baseAddress?.assumingMemoryBound(to: CChar.self), size)
                    }
                }
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

    private static func value(of attribute: [UInt8], path: [UInt8]) throws(Errno) -> [UInt8] {
        while true {
            let size = try withCPath(path) { cPath in
                withCPath(attribute) { cName in valueOrErrno("lgetxattr") { lgetxattr(cPath, cName, nil, 0) } }
            }.get()
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            let got = withCPath(path) { cPath in
                withCPath(attribute) { cName in
                    buffer.withUnsafeMutableBytes { raw in
                        valueOrErrno("lgetxattr") { lgetxattr(cPath, cName, raw.baseAddress, size) }
                    }
                }
            }
            switch got {
            case .success(let count): return Array(buffer[0..<count])
            case .failure(.outOfRange): continue
            case .failure(let error): throw error
            }
        }
    }
}
