import ChangerecSystem
import SystemPackage

extension ContextCopy {
    /// Refuses an ADD whose sources include a local archive, which Docker would extract: changerec does
    /// not extract, and copying it instead would build a different image without a word. Called before
    /// any step runs. An archive is recognised by its content, as Docker recognises it: the gzip, bzip2,
    /// xz or zstd magic at the start, or `ustar` at offset 257 (a plain tar). Directories are not looked
    /// into (Docker extracts only a source that is itself an archive).
    ///
    /// - Throws: `ChangerecError(.usage, …)` naming the first archive, or a source that is missing.
    public static func refuseArchives(context: [UInt8], sources: [[UInt8]]) throws(ChangerecError) {
        let contextDirectory = try openDirectory(context, what: "build context")
        defer { FileSystem.close(contextDirectory) }
        for source in sources {
            for components in try ContextSources.expand(source, in: contextDirectory) {
                let path = Array(components.joined(separator: [0x2F]))
                let shown = ContextSources.shown(source, matched: components)
                guard try sourceStatus(path, shown: shown, in: contextDirectory).type == .regular else { continue }
                let file = try openSource(path, shown: shown, in: contextDirectory, options: [])
                defer { FileSystem.close(file) }
                let head: [UInt8]
                do {
                    head = try FileSystem.read(file, count: 262, at: 0)
                } catch {
                    throw ChangerecError.system(
                        "read the build context's", path: shown, error)
                }
                if isArchive(head) {
                    throw ChangerecError(
                        .usage,
                        "ADD of a local archive ('\(shown)') is not supported: COPY it and extract it in a RUN step"
                    )
                }
            }
        }
    }

    /// Whether the first bytes of a file are those of an archive Docker's ADD extracts.
    static func isArchive(_ head: [UInt8]) -> Bool {
        let magics: [[UInt8]] = [
            [0x1F, 0x8B],  // gzip
            [0x42, 0x5A, 0x68],  // bzip2: "BZh"
            [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00],  // xz
            [0x28, 0xB5, 0x2F, 0xFD],  // zstd
        ]
        if magics.contains(where: { head.starts(with: $0) }) { return true }
        return head.count >= 262 && head[257..<262].elementsEqual("ustar".utf8)
    }
}
