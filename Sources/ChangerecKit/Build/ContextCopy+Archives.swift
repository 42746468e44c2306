import ChangerecSystem
import SystemPackage

extension ContextCopy {
    /// Checks, before any step runs, what ADD will extract: a source that is a local archive (recognised
    /// by its content, as Docker recognises it) must be a tar, plain or compressed with gzip or zstd —
    /// bzip2 and xz are refused — and takes no `--chown` or `--chmod` (its entries keep the archive's).
    /// Directories are not looked into: Docker extracts only a source that is itself an archive.
    ///
    /// - Throws: `ChangerecError(.usage, …)` naming the first archive that cannot be extracted as asked,
    ///   or a source that is missing.
    public static func checkArchives(context: [UInt8], sources: [[UInt8]], chown: String?, chmod: String?)
        throws(ChangerecError)
    {
        let contextDirectory = try openDirectory(context, what: "build context")
        defer { FileSystem.close(contextDirectory) }
        for source in sources {
            for components in try ContextSources.expand(source, in: contextDirectory) {
                let path = Array(components.joined(separator: [0x2F]))
                let shown = ContextSources.shown(source, matched: components)
                guard try sourceStatus(path, shown: shown, in: contextDirectory).type == .regular else { continue }
                let file = try openSource(path, shown: shown, in: contextDirectory, options: [])
                defer { FileSystem.close(file) }
                guard try archiveFormat(file, shown: shown) != nil else { continue }
                if chown != nil || chmod != nil {
                    throw ChangerecError(
                        .usage,
                        "ADD extracts '\(shown)', whose entries keep the archive's owners and modes: --chown and --chmod do not apply; set them in a RUN step"
                    )
                }
            }
        }
    }

    /// The format of an archive ADD extracts, from the file's first bytes; `nil` for a file that is not an
    /// archive (copied as it is).
    ///
    /// - Throws: `ChangerecError(.usage, …)` for a bzip2 or xz archive, which changerec cannot decompress.
    static func archiveFormat(_ file: FileDescriptor, shown: String) throws(ChangerecError) -> LayerFormat? {
        let head: [UInt8]
        do {
            head = try FileSystem.read(file, count: 262, at: 0)
        } catch {
            throw ChangerecError.system("read the build context's", path: shown, error)
        }
        // A compressed file is an archive only if what it holds is a tar (Docker copies a plain `.gz`).
        if head.starts(with: [0x1F, 0x8B]) { return try holdsTar(file, .gzip, shown: shown) ? .gzip : nil }
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return try holdsTar(file, .zstd, shown: shown) ? .zstd : nil }
        if head.starts(with: [0x42, 0x5A, 0x68]) || head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
            throw ChangerecError(
                .usage,
                "ADD of '\(shown)', a bzip2 or xz archive, is not supported (changerec extracts tar, tar.gz and tar.zst): COPY it and extract it in a RUN step"
            )
        }
        return isTarHeader(head) ? .tar : nil
    }

    /// Whether `bytes` begin with a tar header: `ustar` at offset 257, as POSIX and GNU tar write it.
    private static func isTarHeader(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 262 && bytes[257..<262].elementsEqual("ustar".utf8)
    }

    /// Whether the compressed `file` decompresses to a tar; one that is damaged is taken for a plain file.
    private static func holdsTar(_ file: FileDescriptor, _ format: LayerFormat, shown: String) throws(ChangerecError)
        -> Bool
    {
        let copy: FileDescriptor
        do {
            copy = try file.duplicate()
        } catch {
            throw ChangerecError(.system, "cannot read '\(shown)' in the build context: \(error)")
        }
        let stream = try LayerStream(descriptor: copy, format: format, shown: shown)
        var head: [UInt8] = []
        while head.count < 262, let chunk = try? stream.next() {
            head += chunk.prefix(262 - head.count)
        }
        return isTarHeader(head)
    }
}
