import ChangerecSystem
import Crypto
import FoundationEssentials
import SystemPackage

/// An OCI image layout opened for reading: `index.json` and the blobs under `blobs/sha256/`, each opened
/// beneath the layout directory through no symbolic link, each blob checked against its digest.
final class OCIBlobStore {
    let layout: String
    private let directory: FileDescriptor

    /// Opens the layout directory (a symbolic link naming it is followed, as for any path a user gives).
    ///
    /// - Throws: `ChangerecError` when it is missing, not a directory, or holds no `oci-layout` file.
    init(layout: String) throws(ChangerecError) {
        self.layout = layout
        do {
            directory = try FileSystem.open(Array(layout.utf8), .readOnly, options: .directory)
        } catch .noSuchFileOrDirectory {
            throw ChangerecError(
                .usage,
                "OCI layout '\(layout)' does not exist; make one with 'skopeo copy docker://IMAGE oci:\(layout):TAG'")
        } catch .notDirectory {
            throw ChangerecError(.usage, "'\(layout)' is not an OCI image layout (not a directory)")
        } catch {
            throw ChangerecError.system("open OCI layout", path: layout, error)
        }
        do {
            _ = try FileSystem.status(of: Array("oci-layout".utf8), in: directory)
        } catch {
            FileSystem.close(directory)
            throw ChangerecError(.usage, "'\(layout)' is not an OCI image layout (it has no oci-layout file)")
        }
    }

    deinit { FileSystem.close(directory) }

    /// The bytes of a file of the layout's top directory.
    func readFile(_ name: String) throws(ChangerecError) -> [UInt8] {
        let descriptor = try open(Array(name.utf8), shown: name)
        defer { FileSystem.close(descriptor) }
        var hasher = SHA256()
        return try read(descriptor, limit: OCIImage.jsonLimit, shown: name, hasher: &hasher)
    }

    /// The blob `digest` names, checked against it (and against `size` when given).
    func readBlob(_ digest: String, size: Int64?, limit: Int) throws(ChangerecError) -> [UInt8] {
        let descriptor = try openBlob(digest)
        defer { FileSystem.close(descriptor) }
        var hasher = SHA256()
        let bytes = try read(descriptor, limit: limit, shown: "blob \(digest)", hasher: &hasher)
        let actual = "sha256:" + Hex.string(hasher.finalize())
        guard actual == digest else { throw mismatch(digest, actual: actual) }
        if let size, size != Int64(bytes.count) {
            throw ChangerecError(
                .usage,
                "blob \(digest) of OCI layout '\(layout)' holds \(bytes.count) bytes, but its descriptor says \(size); the layout is damaged: copy the image again"
            )
        }
        return bytes
    }

    /// Opens the blob `digest` names for reading, for a caller that checks its digest while it reads.
    func openBlob(_ digest: String) throws(ChangerecError) -> FileDescriptor {
        guard digest.hasPrefix("sha256:") else {
            throw ChangerecError(
                .usage,
                "blob \(digest) of OCI layout '\(layout)' uses a digest algorithm changerec does not read (only sha256)"
            )
        }
        let hex = digest.dropFirst("sha256:".count)
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw ChangerecError(.usage, "OCI layout '\(layout)' names a malformed digest '\(digest)'")
        }
        return try open(Array("blobs/sha256/\(hex)".utf8), shown: "blob \(digest)")
    }

    /// The error for a blob whose bytes do not match its digest.
    func mismatch(_ digest: String, actual: String) -> ChangerecError {
        ChangerecError(
            .usage,
            "blob \(digest) of OCI layout '\(layout)' does not match its digest (its bytes are \(actual)); the layout is damaged: copy the image again"
        )
    }

    func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws(ChangerecError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw ChangerecError(.usage, "OCI layout '\(layout)': \(what) is not valid JSON of its kind")
        }
    }

    private func open(_ path: [UInt8], shown: String) throws(ChangerecError) -> FileDescriptor {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileSystem.openBeneath(path, in: directory, .readOnly, options: [.nonBlocking])
        } catch .noSuchFileOrDirectory {
            throw ChangerecError(
                .usage, "OCI layout '\(layout)' has no \(shown); the layout is incomplete: copy the image again")
        } catch .tooManySymbolicLinkLevels {
            throw ChangerecError(
                .unsafePath, "will not read \(shown) of OCI layout '\(layout)': it is reached through a symbolic link")
        } catch {
            throw ChangerecError.system("open \(shown) of OCI layout", path: layout, error)
        }
        guard (try? FileSystem.status(of: descriptor))?.type == .regular else {
            FileSystem.close(descriptor)
            throw ChangerecError(
                .unsafePath, "will not read \(shown) of OCI layout '\(layout)': it is not a regular file")
        }
        return descriptor
    }

    private func read(_ descriptor: FileDescriptor, limit: Int, shown: String, hasher: inout SHA256)
        throws(ChangerecError) -> [UInt8]
    {
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do {
                count = try FileSystem.read(descriptor, into: buffer)
            } catch {
                throw ChangerecError.system("read \(shown) of OCI layout", path: layout, error)
            }
            if count == 0 { return bytes }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: chunk)
            bytes.append(contentsOf: chunk)
            if bytes.count > limit {
                throw ChangerecError(.usage, "OCI layout '\(layout)': \(shown) is larger than \(limit >> 20) MiB")
            }
        }
    }
}
