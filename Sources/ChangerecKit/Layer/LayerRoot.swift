import ChangerecSystem
import SystemPackage

/// The tree a layer is read from, opened so that it is the directory the journals describe.
///
/// The ROOT a journal names was canonical when it was recorded (no symbolic link anywhere in it), so it
/// is opened from `/` with `openat2(RESOLVE_NO_SYMLINKS)`: a ROOT replaced by a symbolic link since the
/// step — or one with a link now on its way — is refused before anything is read through it. The open
/// directory's device and inode must then be those each journal's header recorded: a ROOT moved away and
/// replaced by another directory at the same path is refused too. Journals written before the header
/// carried ROOT's identity are read without that second check (`warnings` says so).
///
/// An explicit `--root DIR` reads another tree on purpose: a copy of the recorded one elsewhere, or the
/// same tree after a remount or a reboot gave its file system another device number. It is not held to
/// the recorded identity (a copy never has it), but it is opened without following a final symbolic
/// link, and everything below it is read beneath it as always; the seal still decides what is drift.
public final class LayerRoot {
    /// ROOT, open for reading; closed when this object goes, so keep it alive while the layer is read.
    public let descriptor: FileDescriptor
    /// The path read, for messages.
    public let path: [UInt8]
    /// What the person should know about checks that could not be made.
    public let warnings: [String]

    /// Opens ROOT for `journals` (their paths, for messages, and headers, in step order).
    ///
    /// - Parameter explicit: `--root DIR`, when given.
    /// - Throws: `ChangerecError` `.unsafePath` for a ROOT that is or passes through a symbolic link, or
    ///   that is not the directory recorded; `.system` when it cannot be opened.
    public init(journals: [(path: [UInt8], header: JournalHeader)], explicit: [UInt8]?) throws(ChangerecError) {
        if let explicit {
            descriptor = try Self.openExplicit(explicit)
            path = explicit
            warnings = []
            return
        }
        // Invariant: the caller loaded at least one journal; the layer reads the last one's ROOT.
        guard let last = journals.last else { preconditionFailure("LayerRoot needs at least one journal") }
        path = last.header.root
        // Located first with O_PATH, which opens nothing for reading (no open event reaches a watcher of
        // the directory); only once it is the directory recorded is it opened.
        let located = try Self.openRecorded(last.header.root)
        defer { FileSystem.close(located) }
        warnings = try Self.checkIdentity(located, path: last.header.root, journals: journals)
        do {
            descriptor = try FileSystem.open(Array(".".utf8), relativeTo: located, .readOnly, options: .directory)
        } catch {
            throw ChangerecError.system("open ROOT", path: printable(last.header.root), error)
        }
    }

    deinit { FileSystem.close(descriptor) }

    private static func openRecorded(_ path: [UInt8]) throws(ChangerecError) -> FileDescriptor {
        guard path.first == 0x2F else {
            throw ChangerecError(.unsafePath, "the journal's ROOT '\(printable(path))' is not an absolute path")
        }
        do {
            let slash = try FileSystem.open(Array("/".utf8), .readOnly, options: [.locateOnly, .directory])
            defer { FileSystem.close(slash) }
            // Beneath `/` is everywhere; what matters is RESOLVE_NO_SYMLINKS on every component.
            return try FileSystem.openBeneath(
                Array(path.drop { $0 == 0x2F }), in: slash, .readOnly, options: [.locateOnly, .directory])
        } catch .tooManySymbolicLinkLevels {
            throw ChangerecError(
                .unsafePath,
                "refusing to read ROOT '\(printable(path))': it is now a symbolic link, or has one on its way (it had none when the step was recorded), which could lead outside the recorded tree; nothing was read through it (pass --root DIR to read a tree elsewhere on purpose)"
            )
        } catch .notDirectory {
            throw ChangerecError(
                .notADirectory, "ROOT '\(printable(path))' is no longer a directory; nothing was read from it")
        } catch {
            throw ChangerecError.system("open ROOT", path: printable(path), error)
        }
    }

    private static func openExplicit(_ path: [UInt8]) throws(ChangerecError) -> FileDescriptor {
        do {
            return try FileSystem.open(path, .readOnly, options: [.directory, .noFollow])
        } catch .tooManySymbolicLinkLevels {
            throw ChangerecError(
                .unsafePath,
                "refusing to read ROOT '\(printable(path))': it is a symbolic link, which changerec does not follow at ROOT; name the directory itself"
            )
        } catch .notDirectory {
            // O_NOFOLLOW|O_DIRECTORY on a symbolic link may answer ENOTDIR rather than ELOOP.
            let isLink = (try? FileSystem.status(of: path, in: .currentWorkingDirectory))?.type == .symlink
            throw ChangerecError(
                isLink ? .unsafePath : .notADirectory,
                isLink
                    ? "refusing to read ROOT '\(printable(path))': it is a symbolic link, which changerec does not follow at ROOT; name the directory itself"
                    : "ROOT '\(printable(path))' is not a directory")
        } catch {
            throw ChangerecError.system("open ROOT", path: printable(path), error)
        }
    }

    /// - Returns: one warning per journal that does not record ROOT's identity.
    private static func checkIdentity(
        _ descriptor: FileDescriptor, path: [UInt8], journals: [(path: [UInt8], header: JournalHeader)]
    ) throws(ChangerecError) -> [String] {
        let status: FileStatus
        do {
            status = try FileSystem.status(of: descriptor)
        } catch {
            throw ChangerecError.system("examine ROOT", path: printable(path), error)
        }
        let now = JournalHeader.RootIdentity(device: status.device, inode: status.inode)
        var warnings: [String] = []
        for journal in journals {
            guard let recorded = journal.header.rootIdentity else {
                warnings.append(
                    "journal '\(printable(journal.path))' does not record which directory ROOT was (it was written by an older changerec): ROOT '\(printable(path))' is read without checking that it is still the directory recorded"
                )
                continue
            }
            if recorded != now {
                throw ChangerecError(
                    .unsafePath,
                    "refusing to read ROOT '\(printable(path))': it is not the directory journal '\(printable(journal.path))' recorded (\(recorded) then, \(now) now), so it was replaced or moved since the step; nothing was read from it (pass --root DIR to read another tree on purpose)"
                )
            }
        }
        return warnings
    }
}
