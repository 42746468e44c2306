import ChangerecTestSupport
import Foundation
import Testing

@testable import ChangerecSystem

/// The layer compressors: the same bytes for any number of threads and any way the input is handed
/// over, and output another decoder turns back into exactly the input.
@Suite("compression: gzip in blocks and zstd, the same bytes on any number of threads")
struct CompressionTests {
    /// About 3 MiB that compress unevenly: runs of text, stretches of noise, long repeats that reach
    /// across block boundaries, and zeros, from a fixed seed.
    static let input: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var bytes: [UInt8] = []
        let words = ["layer ", "journal ", "seal ", "whiteout ", "/usr/lib/x86_64-linux-gnu/", "\n", "0644 "]
        while bytes.count < 3 << 20 {
            switch next() % 4 {
            case 0: for _ in 0..<Int(next() % 4000) { bytes += Array(words[Int(next() % 7)].utf8) }
            case 1: for _ in 0..<Int(next() % 50_000) { bytes.append(UInt8(truncatingIfNeeded: next())) }
            case 2: bytes += bytes.suffix(Int(next() % 100_000))
            default: bytes += [UInt8](repeating: 0, count: Int(next() % 70_000))
            }
        }
        return bytes
    }()

    /// Compresses `input` handed over in pieces of `piece` bytes.
    static func compress(_ compressor: any StreamCompressor, _ input: [UInt8], piece: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        var offset = 0
        while offset < input.count {
            let end = min(offset + piece, input.count)
            try input.hand(offset..<end) { (chunk) throws(ChangerecError) in
                try compressor.compress(chunk) { output += $0 }
            }
            offset = end
        }
        try compressor.finish { output += $0 }
        return output
    }

    /// What `command` (a shell command reading the file `$1`) writes on standard output for `bytes`.
    static func decode(_ bytes: [UInt8], with command: String) throws -> [UInt8] {
        let tree = try TemporaryTree(tmpfs: false)
        let path = tree.base + "/compressed"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = try Run.command(["/bin/sh", "-c", command, "sh", path])
        try #require(result.status == 0, "\(command): \(result.stderr)")
        return Array(result.stdoutData)
    }

    /// Decompresses one gzip member and requires it to end exactly where the bytes do.
    static let singleGzipMember = """
        python3 -c 'import sys, zlib
        d = zlib.decompressobj(31)
        out = d.decompress(open(sys.argv[1], "rb").read())
        assert d.eof and not d.unused_data, "not exactly one gzip member"
        sys.stdout.buffer.write(out)' "$1"
        """

    @Test(
        "gzip: the same bytes on 1, 2 and 4 threads and for any pieces the input comes in",
        arguments: [GzipCompressor.defaultBlockSize, 1000])
    func gzipSameBytesOnAnyThreads(blockSize: Int) throws {
        let input = blockSize < GzipCompressor.window ? Array(Self.input.prefix(400_000)) : Self.input
        let reference = try Self.compress(GzipCompressor(blockSize: blockSize, threads: 1), input, piece: input.count)
        for threads in [1, 2, 4] {
            for piece in [1 << 20, 7777, 512] {
                let output = try Self.compress(
                    GzipCompressor(blockSize: blockSize, threads: threads), input, piece: piece)
                #expect(output == reference, "\(threads) threads, pieces of \(piece)")
            }
        }
        #expect(Array(reference.prefix(10)) == [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3], "no name, mtime 0")
        #expect(try Self.decode(reference, with: "gzip -dc \"$1\"") == input)
    }

    @Test("gzip: the blocks make one gzip member whose deflate stream and CRC-32 cover the whole input")
    func gzipOneMember() throws {
        for input in [Self.input, [], Array(Self.input.prefix(GzipCompressor.defaultBlockSize * 3))] {
            let output = try Self.compress(GzipCompressor(threads: 2), input, piece: 65536)
            #expect(try Self.decode(output, with: Self.singleGzipMember) == input, "\(input.count) bytes")
        }
    }

    @Test("gzip in blocks costs little against one zlib stream: within 1% of `gzip -6`")
    func gzipRatio() throws {
        let output = try Self.compress(GzipCompressor(threads: 2), Self.input, piece: 1 << 20)
        let tree = try TemporaryTree(tmpfs: false)
        try Data(Self.input).write(to: URL(fileURLWithPath: tree.base + "/input"))
        let gzip = try Run.command(["/bin/sh", "-c", "gzip -6 -n -c '\(tree.base)/input' | wc -c"])
        let single = try #require(Int(gzip.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Double(output.count) <= Double(single) * 1.01, "\(output.count) bytes against \(single)")
    }

    @Test("zstd: the same bytes with 1, 2 and 4 workers and for any pieces the input comes in")
    func zstdSameBytesOnAnyThreads() throws {
        let reference = try Self.compress(ZstdCompressor(threads: 1), Self.input, piece: Self.input.count)
        for threads in [1, 2, 4] {
            for piece in [1 << 20, 7777] {
                let output = try Self.compress(ZstdCompressor(threads: threads), Self.input, piece: piece)
                #expect(output == reference, "\(threads) workers, pieces of \(piece)")
            }
        }
        #expect(Array(reference.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD], "a zstd frame")
    }

    @Test("zstd: another decoder gives back exactly the input", .requiresZstdTool)
    func zstdDecodes() throws {
        for input in [Self.input, [], Array(Self.input.prefix(1000))] {
            let output = try Self.compress(ZstdCompressor(threads: 2), input, piece: 65536)
            #expect(try Self.decode(output, with: "zstd -dc \"$1\"") == input, "\(input.count) bytes")
        }
    }

    @Test("a libzstd that cannot be loaded is named in one line that says how to get it")
    func zstdMissing() throws {
        #expect(
            throws: ChangerecError(
                .system,
                "zstd compression needs libzstd (libzstd-absent.so.1), which could not be loaded: libzstd-absent.so.1: cannot open shared object file: No such file or directory; install it with 'apt-get install libzstd1'"
            )
        ) { try ZstdCompressor.load("libzstd-absent.so.1") }
        // A library that loads but is not libzstd: the first function missing is named.
        #expect(
            throws: ChangerecError(
                .system,
                "zstd compression needs libzstd (libz.so.1), which could not be loaded: libz.so.1 has no ZSTD_versionNumber (libzstd 1.4.0 or later is needed); install it with 'apt-get install libzstd1'"
            )
        ) { try ZstdCompressor.load("libz.so.1") }
    }
}
