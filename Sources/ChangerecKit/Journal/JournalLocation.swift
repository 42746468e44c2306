import ChangerecSystem
import SystemPackage

/// Where a step's journal goes: `--journal FILE`, or the next free `ROOT/.changerec/NNNN.journal`, so
/// that a second run never overwrites the first.
public enum JournalLocation {
    static let directoryName: [UInt8] = Array(".changerec".utf8)

    /// Creates the journal file and returns its descriptor and canonical path.
    ///
    /// - Parameters:
    ///   - explicit: `--journal FILE`, or `nil` for the next free `ROOT/.changerec/NNNN.journal`.
    ///   - root: ROOT's canonical path, for the path returned and messages.
    ///   - rootDescriptor: ROOT open as a directory: `.changerec` is made and opened relative to it.
    ///   - force: whether an existing regular file at `explicit` may be replaced.
    /// - Throws: `ChangerecError` when the journal cannot be created, when `explicit` exists (without
    ///   `force`) or is not a regular file, or when `ROOT/.changerec` is not a directory.
    static func create(explicit: [UInt8]?, root: [UInt8], rootDescriptor: FileDescriptor, force: Bool)
        throws(ChangerecError) -> (FileDescriptor, [UInt8])
    {
        if let explicit { return try createExplicit(explicit, force: force) }
        return try createNumbered(root: root, rootDescriptor: rootDescriptor)
    }

    /// `--journal FILE`: a new file, or with `force` a regular file replaced (unlinked, then created anew,
    /// so another name hard-linked to the old journal keeps it). Anything else is refused: the journal is
    /// read back when the step ends and by every other subcommand, so a fifo, a device or standard output
    /// (which the command shares) cannot hold it, and a symbolic link is neither written through nor
    /// replaced.
    private static func createExplicit(_ given: [UInt8], force: Bool) throws(ChangerecError) -> (
        FileDescriptor, [UInt8]
    ) {
        guard given != [0x2D] else {
            throw ChangerecError(
                .usage,
                "--journal - would be standard output, which the command shares; a journal must be a regular file")
        }
        let path = try canonicalNewFile(given)
        let shown = printable(given)
        // O_EXCL never follows a symbolic link and never opens what exists: a fifo is not waited on, a
        // device is not written to.
        let options: FileDescriptor.OpenOptions = [.create, .exclusiveCreate, .noFollow]
        var replaced = false
        while true {
            do {
                return (try FileSystem.open(path, .writeOnly, options: options), path)
            } catch .fileExists {
            } catch {
                throw ChangerecError.system("create journal", path: shown, error)
            }
            let existing: FileStatus
            do {
                existing = try FileSystem.status(of: path, in: .currentWorkingDirectory)
            } catch .noSuchFileOrDirectory {
                continue  // removed meanwhile: try again
            } catch {
                throw ChangerecError.system("inspect journal", path: shown, error)
            }
            guard existing.type == .regular else {
                throw ChangerecError(
                    .unsafePath,
                    "journal '\(shown)' exists and is \(describe(existing.type)); a journal must be a new or regular file (it is read back when the step ends), and changerec never writes through or replaces anything else"
                )
            }
            guard force, !replaced else {
                throw ChangerecError(
                    .usage,
                    "journal '\(shown)' already exists; pass --force to replace it (it may be a previous step's record)"
                )
            }
            do {
                try FileSystem.unlink(path)
            } catch .noSuchFileOrDirectory {
            } catch {
                throw ChangerecError.system("replace journal", path: shown, error)
            }
            replaced = true
        }
    }

    /// The next free `ROOT/.changerec/NNNN.journal`. `.changerec` is made and opened relative to ROOT's
    /// descriptor and never followed as a symbolic link, and the journal is created in it with `O_EXCL`:
    /// whoever owns ROOT cannot send the journal of a privileged recording anywhere else.
    private static func createNumbered(root: [UInt8], rootDescriptor: FileDescriptor) throws(ChangerecError) -> (
        FileDescriptor, [UInt8]
    ) {
        let directoryPath = (root == [0x2F] ? [] : root) + [0x2F] + directoryName
        do {
            try FileSystem.makeDirectory(directoryName, in: rootDescriptor)
        } catch .fileExists {
        } catch {
            throw ChangerecError.system("create directory", path: printable(directoryPath), error)
        }
        let directory = try openJournalDirectory(
            directoryName, in: rootDescriptor, shown: printable(directoryPath), advice: "pass --journal FILE")
        defer { FileSystem.close(directory) }
        var next = 1
        if let entries = try? DirectoryReader.entries(of: directory) {
            for entry in entries {
                guard let number = journalNumber(entry.name), number < 1_000_000_000 else { continue }
                next = max(next, number + 1)
            }
        }
        while true {
            let name = Array((String(repeating: "0", count: max(0, 4 - String(next).count)) + "\(next).journal").utf8)
            let path = directoryPath + [0x2F] + name
            do {
                let options: FileDescriptor.OpenOptions = [.create, .exclusiveCreate, .noFollow]
                return (try FileSystem.open(name, relativeTo: directory, .writeOnly, options: options), path)
            } catch .fileExists {
                next += 1  // another run took this number first
            } catch {
                throw ChangerecError.system("create journal", path: printable(path), error)
            }
        }
    }

    /// The journal with the highest number in `DIR/.changerec/`: only regular files count, and a
    /// `.changerec` that is a symbolic link is refused rather than followed.
    public static func newest(in directory: [UInt8]) throws(ChangerecError) -> [UInt8] {
        let journals = directory + [0x2F] + directoryName
        let fd: FileDescriptor
        do throws(ChangerecError) {
            fd = try openJournalDirectory(
                journals, in: .currentWorkingDirectory, shown: printable(journals),
                advice: "pass a journal path")
        } catch  where error.errno == .noSuchFileOrDirectory {
            throw ChangerecError(
                .journalNotFound, "no journal given and no '.changerec/' directory here; pass a journal path")
        }
        defer { FileSystem.close(fd) }
        let entries = (try? DirectoryReader.entries(of: fd)) ?? []
        let best = entries.compactMap { entry -> (Int, [UInt8])? in
            guard entry.type == .regular, let number = journalNumber(entry.name) else { return nil }
            return (number, entry.name)
        }.max { $0.0 < $1.0 }
        guard let best else {
            throw ChangerecError(
                .journalNotFound, "no journal in '.changerec/'; record a step first or pass a journal path")
        }
        return journals + [0x2F] + best.1
    }

    /// Opens the journal directory without following a symbolic link at its name.
    ///
    /// - Throws: `.unsafePath` naming what is there instead of a directory; `.system` otherwise.
    private static func openJournalDirectory(
        _ name: [UInt8], in parent: FileDescriptor, shown: String, advice: String
    ) throws(ChangerecError) -> FileDescriptor {
        do {
            return try FileSystem.open(name, relativeTo: parent, .readOnly, options: [.directory, .noFollow])
        } catch .tooManySymbolicLinkLevels, .notDirectory {
            let type = (try? FileSystem.status(of: name, in: parent))?.type ?? .unknown
            throw ChangerecError(
                .unsafePath,
                "'\(shown)' is \(describe(type)), not a directory; changerec does not follow it (remove it, or \(advice))"
            )
        } catch {
            throw ChangerecError.system("open directory", path: shown, error)
        }
    }

    /// `NNNN` of a name `NNNN.journal`.
    private static func journalNumber(_ name: [UInt8]) -> Int? {
        let text = printable(name)
        guard text.hasSuffix(".journal"), let number = Int(text.dropLast(".journal".count)), number >= 0 else {
            return nil
        }
        return number
    }

    /// "a symbolic link", "a fifo", ... for messages.
    private static func describe(_ type: ChangerecSystem.FileType) -> String {
        switch type {
        case .regular: "a regular file"
        case .directory: "a directory"
        case .symlink: "a symbolic link"
        case .fifo: "a fifo"
        case .socket: "a socket"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .unknown: "not a directory"
        }
    }

    /// The absolute path of a file that may not exist yet: its directory made canonical.
    private static func canonicalNewFile(_ path: [UInt8]) throws(ChangerecError) -> [UInt8] {
        let slash = path.lastIndex(of: 0x2F)
        let directory = slash.map { $0 == 0 ? [0x2F] : Array(path[..<$0]) } ?? [0x2E]
        let name = slash.map { Array(path[($0 + 1)...]) } ?? path
        guard !name.isEmpty else {
            throw ChangerecError(.usage, "journal path '\(printable(path))' names a directory; give a file name")
        }
        do {
            let canonical = try FileSystem.canonicalPath(directory)
            return (canonical == [0x2F] ? [] : canonical) + [0x2F] + name
        } catch {
            throw ChangerecError.system("use journal directory", path: printable(directory), error)
        }
    }
}

extension JournalLocation {
    /// `path` relative to `root` when it lies below it.
    static func relative(_ path: [UInt8], below root: [UInt8]) -> RelativePath? {
        let prefix = root == [0x2F] ? root : root + [0x2F]
        guard path.count > prefix.count, path.starts(with: prefix) else { return nil }
        return RelativePath(Array(path[prefix.count...]))
    }
}
