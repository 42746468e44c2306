import CChangerecLinux  // <sys/xattr.h>
import Glibc

// Written with the C library directly, as the tests' layer applier is, not with changerec's own system
// module: the trees the recorder is judged on must not be made by the code under test.

extension Array where Element == TreeSpec {
    /// Makes these objects in the existing directory `directory`.
    /// - Throws: `TestFailure` naming the object and the errno of the call that failed.
    public func materialise(in directory: String) throws {
        var links: [(String, TreeSpec)] = []
        var times: [(String, TreeSpec)] = []
        try TreeSpec.create(self, in: directory, links: &links, times: &times)
        for (path, spec) in links {
            guard case .hardLink(let target) = spec.kind else { continue }
            try TreeSpec.check(Glibc.link(directory + "/" + target, path), "link \(path) to \(target)")
        }
        // Deepest first: a directory's time is set after everything below it was made.
        for (path, spec) in times.reversed() {
            guard let seconds = spec.mtimeSeconds else { continue }
            let omit = (1 << 30) - 2  // UTIME_OMIT, a macro Swift does not import
            var values = [timespec(tv_sec: 0, tv_nsec: omit), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
            try TreeSpec.check(utimensat(AT_FDCWD, path, &values, AT_SYMLINK_NOFOLLOW), "set the time of \(path)")
        }
    }
}

extension TreeSpec {
    static func create(
        _ specs: [TreeSpec], in directory: String, links: inout [(String, TreeSpec)], times: inout [(String, TreeSpec)]
    ) throws {
        for spec in specs {
            let path = Array(directory.utf8) + [0x2F] + spec.name
            let shown = String(decoding: path, as: UTF8.self)
            let cPath = path.map { CChar(bitPattern: $0) } + [0]
            switch spec.kind {
            case .directory(let children):
                try check(mkdir(cPath, 0o755), "mkdir \(shown)")
                try create(children, in: shown, links: &links, times: &times)
            case .file(let content):
                let fd = open(cPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                try check(fd, "create \(shown)")
                defer { close(fd) }
                var offset = 0
                while offset < content.count {
                    let written = content[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    try check(Int32(written < 0 ? -1 : 0), "write \(shown)")
                    offset += written
                }
            case .symlink(let target):
                try check(Glibc.symlink(target.map { CChar(bitPattern: $0) } + [0], cPath), "symlink \(shown)")
            case .hardLink:
                links.append((shown, spec))
                continue
            case .fifo:
                try check(mkfifo(cPath, 0o644), "mkfifo \(shown)")
            }
            if let permissions = spec.permissions { try check(chmod(cPath, permissions), "chmod \(shown)") }
            for (name, value) in spec.xattrs {
                let rc = value.withUnsafeBytes { lsetxattr(cPath, name, $0.baseAddress, $0.count, 0) }
                try check(rc, "setxattr \(name) on \(shown)")
            }
            times.append((shown, spec))
        }
    }

    static func check(_ rc: Int32, _ what: String) throws {
        guard rc >= 0 else { throw TestFailure("\(what): errno \(errno)") }
    }
}
