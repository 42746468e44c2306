import ChangerecSystem
import SystemPackage

/// The places a step's mounts go, made in the root file system before the recording starts and removed
/// after it, each parent's modification time put back both times: nothing of them is recorded, and
/// nothing is left behind.
final class MountPoints {
    enum Kind { case directory, file }

    private struct Made {
        var parent: RelativePath
        var name: [UInt8]
        var kind: Kind
    }

    private let root: FileDescriptor
    private let rootPath: [UInt8]
    private var made: [Made] = []

    init(root: FileDescriptor, rootPath: [UInt8]) {
        self.root = root
        self.rootPath = rootPath
    }

    /// Makes `path` (and any missing directory above it) unless it is there already as a `kind`; no
    /// symbolic link may lie on the way, since a mount follows it and could land outside the root.
    ///
    /// - Returns: the absolute host path to mount on.
    func ensure(_ path: RelativePath, _ kind: Kind) throws(ChangerecError) -> [UInt8] {
        for ancestor in path.ancestors.reversed() + [path] {
            let isLast = ancestor == path
            let status: FileStatus?
            do {
                status = try FileSystem.status(of: ancestor.bytes, in: root)
            } catch .noSuchFileOrDirectory {
                status = nil
            } catch {
                throw ChangerecError.system("look at the mount point", path: shown(ancestor), error)
            }
            let wanted: ChangerecSystem.FileType = isLast && kind == .file ? .regular : .directory
            if let status {
                guard status.type == wanted else {
                    throw ChangerecError(
                        .unsafePath,
                        "cannot mount on '\(shown(ancestor))': it is a \(status.type == .regular ? "regular file" : "\(status.type)") in the root file system, not a \(wanted == .regular ? "regular file" : "directory"); remove it or mount elsewhere"
                    )
                }
                continue
            }
            try make(ancestor, isLast ? kind : .directory)
        }
        return rootPath + [0x2F] + path.bytes
    }

    /// Removes what ``ensure(_:_:)`` made, the deepest first.
    ///
    /// - Returns: one line for each that could not be removed (a step wrote into a directory made on
    ///   the way to a mount point, say), for the person at the terminal.
    func removeAll() -> [String] {
        var problems: [String] = []
        for entry in made.reversed() {
            do {
                try keepingTime(of: entry.parent) { (parent) throws(Errno) in
                    switch entry.kind {
                    case .directory: try FileSystem.removeDirectory(entry.name, in: parent)
                    case .file: try FileSystem.unlink(entry.name, in: parent)
                    }
                }
            } catch {
                let path = entry.parent.appending(entry.name).map(shown) ?? printable(entry.name)
                problems.append("left '\(path)' in the root file system, made as a mount point: \(error)")
            }
        }
        made = []
        return problems
    }

    private func make(_ path: RelativePath, _ kind: Kind) throws(ChangerecError) {
        let parent = path.parent ?? .root
        do {
            try keepingTime(of: parent) { (directory) throws(Errno) in
                switch kind {
                case .directory: try FileSystem.makeDirectory(path.name, in: directory, mode: 0o755)
                case .file: try FileSystem.createEmptyFile(path.name, in: directory)
                }
                // Known as made before the parent's time is put back, so that it is removed even if that fails.
                made.append(Made(parent: parent, name: path.name, kind: kind))
            }
        } catch {
            throw ChangerecError.system("make the mount point", path: shown(path), error)
        }
    }

    /// Runs `body` on `parent`, then gives `parent` back the modification time it had before.
    private func keepingTime(of parent: RelativePath, _ body: (FileDescriptor) throws(Errno) -> Void) throws(Errno) {
        let directory = try FileSystem.openBeneath(parent.bytes, in: root, .readOnly, options: .directory)
        defer { FileSystem.close(directory) }
        let before = try FileSystem.status(of: directory)
        try body(directory)
        // The directory is open: set its time through the descriptor (utimensat with an empty name is ENOENT).
        try FileSystem.setModificationTime(
            of: directory, seconds: before.mtimeSeconds, nanoseconds: before.mtimeNanoseconds)
    }

    private func shown(_ path: RelativePath) -> String { printable(rootPath) + path.description }
}
