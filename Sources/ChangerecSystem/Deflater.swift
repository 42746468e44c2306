import CChangerecLinux

/// One block of a stream to deflate, with the 32 KiB of the stream before it as its dictionary.
struct DeflateJob: Sendable {
    var index: Int
    var dictionary: [UInt8]
    var block: [UInt8]
    var last: Bool
}

/// A block deflated: raw deflate data ending on a byte boundary, and the CRC-32 of its input.
struct DeflatedBlock: Sendable {
    var index: Int
    var bytes: [UInt8]
    var crc: UInt32
    var length: Int
}

/// A raw deflate stream of zlib's, reset for every block so that a block's bytes depend on its
/// dictionary, its input and the level alone — not on the thread or the blocks it compressed before.
final class Deflater {
    private let stream: OpaquePointer

    init(level: Int32) throws(ChangerecError) {
        guard let stream = cchangerec_deflater_open(level) else {
            throw ChangerecError(.system, "cannot start gzip compression (out of memory)")
        }
        self.stream = stream
    }

    deinit { cchangerec_deflater_close(stream) }

    /// Deflates `job`'s block (see `cchangerec_deflate_block`) and computes its CRC-32.
    func deflate(_ job: DeflateJob) throws(ChangerecError) -> DeflatedBlock {
        var output = [UInt8](repeating: 0, count: cchangerec_deflate_bound(stream, job.block.count))
        let produced = job.dictionary.withUnsafeBufferPointer { dictionary in
            job.block.withUnsafeBufferPointer { block in
                output.withUnsafeMutableBufferPointer { out in
                    cchangerec_deflate_block(
                        stream, dictionary.baseAddress, dictionary.count, block.baseAddress, block.count,
                        out.baseAddress, out.count, job.last ? 1 : 0)
                }
            }
        }
        guard produced >= 0 else { throw ChangerecError(.system, "gzip compression failed (zlib error)") }
        output.removeLast(output.count - produced)
        let crc = job.block.withUnsafeBufferPointer { cchangerec_crc32(0, $0.baseAddress, $0.count) }
        return DeflatedBlock(index: job.index, bytes: output, crc: crc, length: job.block.count)
    }
}
