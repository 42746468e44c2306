import ChangerecSystem
import SystemPackage

/// Where `-o` sends a layer, decided from what the path names now — never by replacing what it names.
///
/// changerec renames its output only over a regular file or over nothing: the layer is written to a
/// temporary file beside it and renamed on success, so a failure leaves the old file (or nothing). A
/// fifo or a character device (or a symbolic link to one, as `/dev/stdout` → `/proc/self/fd/1` is) is
/// *streamed* to: renaming over it would replace the device node or the link with a regular file, as
/// root in `/dev`. `-`, and any path that leads to the very file open as standard output, is standard
/// output, written through descriptor 1 (so a shell's `>>` keeps appending), as `tar -f -` does.
///
/// A symbolic link to a regular file is refused: renaming over the link would replace it, and writing
/// beside its target would guess at the link's meaning. Naming the target itself, or `-`, says it.
public enum LayerOutput: Equatable, Sendable {
    /// Written to `.NAME.partial-PID` beside the path and renamed over it on success.
    case replace(String)
    /// Streamed to this fifo or character device.
    case stream(String)
    /// Streamed to descriptor 1.
    case standardOutput

    /// Whether the layer goes out as it is written: a failure midway cannot be taken back.
    public var isStream: Bool {
        if case .replace = self { return false }
        return true
    }

    /// How people see this output in messages.
    public var name: String {
        switch self {
        case .replace(let path), .stream(let path): "'\(path)'"
        case .standardOutput: "standard output"
        }
    }

    /// Decides where `-o path` goes.
    ///
    /// - Throws: `ChangerecError` `.usage` for a directory, a block device, a socket, a symbolic link to
    ///   a regular file or to nothing, or a stream that is a terminal; `.system` when the path cannot be
    ///   examined.
    public static func classify(_ path: String) throws(ChangerecError) -> LayerOutput {
        if path == "-" { return .standardOutput }
        let bytes = Array(path.utf8)
        let own: FileStatus
        do {
            own = try FileSystem.status(of: bytes, in: .currentWorkingDirectory)
        } catch .noSuchFileOrDirectory {
            return .replace(path)
        } catch {
            throw ChangerecError.system("examine the output", path: path, error)
        }
        var target = own
        if own.type == .symlink {
            do {
                target = try FileSystem.status(following: bytes)
            } catch .noSuchFileOrDirectory {
                throw refusal(path, "a symbolic link to nothing")
            } catch {
                throw ChangerecError.system("examine the output", path: path, error)
            }
        }
        if isStandardOutput(target) { return .standardOutput }
        switch (own.type, target.type) {
        case (.regular, _):
            return .replace(path)
        case (_, .fifo), (_, .characterDevice):
            return .stream(path)
        case (.symlink, .regular):
            throw ChangerecError(
                .usage,
                "will not write the layer to '\(path)': it is a symbolic link to a regular file, and changerec renames its output only over a regular file or nothing; name the file itself, or '-o -' for standard output"
            )
        case (_, .directory):
            throw refusal(path, own.type == .symlink ? "a symbolic link to a directory" : "a directory")
        case (_, .blockDevice):
            throw refusal(path, "a block device")
        default:
            throw refusal(path, "a \(target.type.name)")
        }
    }

    /// Opens a stream output for writing: never creating, truncating or replacing anything.
    ///
    /// - Throws: `ChangerecError` when it cannot be opened, has changed into something that is not a
    ///   fifo or character device since it was classified, or is a terminal.
    public func openStream() throws(ChangerecError) -> FileDescriptor {
        let descriptor: FileDescriptor
        switch self {
        case .replace:
            preconditionFailure("openStream() on an output that is replaced, not streamed")
        case .standardOutput:
            descriptor = StandardStreams.output
        case .stream(let path):
            do {
                descriptor = try FileSystem.open(Array(path.utf8), .writeOnly, options: .noControllingTerminal)
            } catch {
                throw ChangerecError.system("open the output", path: path, error)
            }
            let type = (try? FileSystem.status(of: descriptor))?.type
            guard type == .fifo || type == .characterDevice else {
                FileSystem.close(descriptor)
                throw Self.refusal(path, "no longer a fifo or character device")
            }
        }
        if FileSystem.isTerminal(descriptor) {
            if self != .standardOutput { FileSystem.close(descriptor) }
            throw ChangerecError(
                .usage,
                "will not write a layer to a terminal (\(name)); redirect it to a file or a pipe, or use -o FILE")
        }
        return descriptor
    }

    /// The path as the person gave it, for `cannot write 'PATH'` messages.
    public var path: String {
        switch self {
        case .replace(let path), .stream(let path): path
        case .standardOutput: "-"
        }
    }

    /// The note added to a failure once streaming has begun: the bytes already sent cannot be taken back.
    public var cutShortNote: String {
        "; the layer streamed to \(name) stops there and is not a whole layer: discard what was written"
    }

    private static func isStandardOutput(_ status: FileStatus) -> Bool {
        guard let output = try? FileSystem.status(of: StandardStreams.output) else { return false }
        return output.device == status.device && output.inode == status.inode && output.type == status.type
    }

    private static func refusal(_ path: String, _ what: String) -> ChangerecError {
        ChangerecError(
            .usage,
            "will not write the layer to '\(path)': it is \(what); changerec writes a layer to a regular file or a new name (renamed into place), to a fifo or character device, or to standard output with '-o -'"
        )
    }
}
