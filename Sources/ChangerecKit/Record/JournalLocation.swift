import ChangerecSystem
import Glibc
import SystemPackage

/// Where a step's journal goes: `--journal FILE`, or the next free `ROOT/.changerec/NNNN.journal`, so
/// that a second run never overwrites the first.
public enum JournalLocation {
    static let directoryName: [UInt8] = Array(".changerec".utf8)

    /// Creates the journal file and returns its descriptor and canonical path.
    static func create(explicit: [UInt8]?, root: [UInt8]) throws(ChangerecError) -> (FileDescriptor, [UInt8]) {
        if let explicit {
            let path = try canonicalNewFile(explicit)
            do {
                // O_NOFOLLOW: a symbolic link at the journal's name is not written through.
                let fd = try FileSystem.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644)
                return (fd, path)
            } catch {
                throw ChangerecError.system("create journal", path: printable(explicit), error)
            }
        }
        let directory = (root == [0x2F] ? [] : root) + [0x2F] + directoryName

        do {
            try FileSystem.makeDirectory(directory)
        } catch .fileExists {
        } catch {
            throw ChangerecError.system("create directory", path: printable(directory), error)
        }
        var next = 1
        if let fd = try? FileSystem.open(directory, flags: O_RDONLY | O_DIRECTORY),
            let entries = try? DirectoryReader.entries(of: fd)
        {
            FileSystem.close(fd)
            for entry in entries {
                let name = printable(entry.name)
                guard name.hasSuffix(".journal"), let number = Int(name.dropLast(".journal".count)),
                    number >= 0, number < 1_000_000_000
                else { continue }
                next = max(next, number + 1)
            }
        }
        while true {
            let name = String(repeating: "0", count: max(0, 4 - String(next).count)) + String(next) + ".journal"
            let path = directory + [0x2F] + Array(name.utf8)
            do {
                return (try FileSystem.open(path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o644), path)
            } catch .fileExists {
                next += 1  // another run took this number first
            } catch {
                throw ChangerecError.system("create journal", path: printable(path), error)
            }
        }
    }

    /// The journal with the highest number in `DIR/.changerec/`.
    public static func newest(in directory: [UInt8]) throws(ChangerecError) -> [UInt8] {
        let journals = directory + [0x2F] + directoryName
        guard let fd = try? FileSystem.open(journals, flags: O_RDONLY | O_DIRECTORY) else {
            throw ChangerecError(
                .journalNotFound, "no journal given and no '.changerec/' directory here; pass a journal path")
        }
        defer { FileSystem.close(fd) }
        let entries = (try? DirectoryReader.entries(of: fd)) ?? []
        let best = entries.compactMap { entry -> (Int, [UInt8])? in
            let name = printable(entry.name)
            guard name.hasSuffix(".journal"), let number = Int(name.dropLast(".journal".count)) else { return nil }
            return (number, entry.name)
        }.max { $0.0 < $1.0 }
        guard let best else {
            throw ChangerecError(
                .journalNotFound, "no journal in '.changerec/'; record a step first or pass a journal path")
        }
        return journals + [0x2F] + best.1
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
