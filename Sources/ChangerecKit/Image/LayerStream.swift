import ChangerecSystem
import Crypto
import SystemPackage

/// A layer blob read as its uncompressed tar stream, a chunk at a time through fixed buffers, so a layer
/// of any size is read in bounded memory. The SHA-256 of the bytes read (the blob digest) and of the
/// stream they decompress to (the diff ID) are computed on the way, and ``finish()`` reads whatever the
/// tar left unread so that both cover the whole blob.
final class LayerStream {
    private let descriptor: FileDescriptor
    private let decompressor: (any StreamDecompressor)?
    /// For messages: `layer 2 (sha256:…) of OCI layout 'base'`.
    let shown: String
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var inputEnded = false
    /// Where the next read starts: the blob is read from its start whatever its descriptor's offset, so a
    /// descriptor shared with another reader (an ADD source checked for an archive) reads the same.
    private var offset: Int64 = 0
    private let output: UnsafeMutableRawBufferPointer
    /// Whether the decompressor's last step that did anything left it at the end of a gzip member or zstd
    /// frame: the compressed stream may end only there.
    private var atBoundary = false
    private var blobHasher = SHA256()
    private var tarHasher = SHA256()
    private(set) var blobSize: UInt64 = 0

    static let bufferSize = 1 << 20

    /// - Parameter descriptor: the open blob, closed when the stream goes away.
    init(descriptor: FileDescriptor, format: LayerFormat, shown: String) throws(ChangerecError) {
        self.descriptor = descriptor
        self.shown = shown
        do {
            decompressor = try format.decompressor()
        } catch {
            FileSystem.close(descriptor)
            throw error
        }
        input = .allocate(byteCount: Self.bufferSize, alignment: 16)
        output = .allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit {
        input.deallocate()
        output.deallocate()
        FileSystem.close(descriptor)
    }

    /// The next chunk of the tar stream, valid until the next call; `nil` at its end.
    ///
    /// - Throws: `ChangerecError` when the blob cannot be read, is corrupt or ends in the middle.
    func next() throws(ChangerecError) -> UnsafeRawBufferPointer? {
        guard let decompressor else {
            guard try fill() else { return nil }
            let chunk = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
            inputStart = inputEnd
            tarHasher.update(bufferPointer: chunk)
            return chunk
        }
        while true {
            if inputStart == inputEnd, !inputEnded { _ = try fill() }
            let pending = UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd])
            let step: (consumed: Int, produced: Int, atEnd: Bool)
            do {
                step = try decompressor.step(pending, into: output)
            } catch {
                throw ChangerecError(error.code, "\(shown): \(error.message)")
            }
            inputStart += step.consumed
            if step.consumed > 0 || step.produced > 0 || step.atEnd { atBoundary = step.atEnd }
            if step.produced > 0 {
                let chunk = UnsafeRawBufferPointer(rebasing: output[0..<step.produced])
                tarHasher.update(bufferPointer: chunk)
                return chunk
            }
            guard step.consumed == 0 else { continue }
            if inputStart == inputEnd {
                guard inputEnded else { continue }
                guard atBoundary else { throw ChangerecError(.usage, "\(shown) ends in the middle of its data") }
                return nil
            }
            guard !inputEnded else {
                throw ChangerecError(.usage, "\(shown) ends with bytes that are not compressed data")
            }
            // The decompressor wants more than what is left: move the rest to the front and read on.
            try compactAndFill()
        }
    }

    /// Reads the rest of the blob (tar padding after the end-of-archive blocks, or more) so that both
    /// digests cover all of it.
    ///
    /// - Returns: the blob digest and the diff ID, `sha256:` and hex.
    func finish() throws(ChangerecError) -> (digest: String, diffID: String) {
        while try next() != nil {}
        return ("sha256:" + Hex.string(blobHasher.finalize()), "sha256:" + Hex.string(tarHasher.finalize()))
    }

    /// The blob digest of the whole blob, its rest read without decompressing it; `nil` when it cannot be
    /// read. After a failure, this tells a damaged blob from a layer that is wrong in itself.
    func rawDigest() -> String? {
        while !inputEnded {
            inputStart = 0
            inputEnd = 0
            guard (try? readMore()) != nil else { return nil }
        }
        return "sha256:" + Hex.string(blobHasher.finalize())
    }

    /// Reads more of the blob into the empty input buffer; `false` at its end.
    private func fill() throws(ChangerecError) -> Bool {
        inputStart = 0
        inputEnd = 0
        return try readMore()
    }

    private func compactAndFill() throws(ChangerecError) {
        let rest = inputEnd - inputStart
        if inputStart > 0 {
            // copyMemory is memmove: the two ranges may overlap.
            UnsafeMutableRawBufferPointer(rebasing: input[0..<rest]).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]))
            inputStart = 0
            inputEnd = rest
        }
        _ = try readMore()
    }

    private func readMore() throws(ChangerecError) -> Bool {
        guard !inputEnded, inputEnd < input.count else { return false }
        let count: Int
        do {
            count = try FileSystem.read(
                descriptor, into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]), at: offset)
        } catch {
            throw ChangerecError(.system, "cannot read \(shown): \(error)", errno: error)
        }
        if count == 0 {
            inputEnded = true
            return false
        }
        offset += Int64(count)
        blobHasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: input[inputEnd..<(inputEnd + count)]))
        blobSize += UInt64(count)
        inputEnd += count
        return true
    }
}
