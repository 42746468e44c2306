import CChangerecLinux

/// A zstd compressor over libzstd, loaded at run time (a fresh Debian has libzstd1 but not its headers,
/// and changerec needs it only when zstd is asked for).
///
/// The parameters that decide the bytes are set explicitly: the level, no content size in the frame
/// header (a stream's size is not known ahead), a content checksum, no dictionary id, and libzstd's
/// multi-threaded mode with at least one worker — whose output is the same for any number of workers,
/// while the single-threaded mode's differs. So the bytes depend on the input, the level and the libzstd
/// version only.
public final class ZstdCompressor: StreamCompressor {
    /// The library loaded when nothing else is named.
    public static let defaultLibrary = "libzstd.so.1"
    /// The environment variable that names another library file to load instead.
    public static let libraryVariable = "CHANGEREC_LIBZSTD"

    private let stream: OpaquePointer
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    /// - Parameters:
    ///   - level: zstd's level (3 is zstd's default).
    ///   - threads: how many workers compress; the bytes are the same for any number.
    /// - Throws: `ChangerecError` when libzstd cannot be loaded (see ``load()``), refuses a parameter,
    ///   or is out of memory.
    public init(level: Int32 = 3, threads: Int = WorkerThread.availableProcessors) throws(ChangerecError) {
        let version = try Self.load()
        var reason: UnsafePointer<CChar>?
        guard let stream = cchangerec_zstd_open(level, Int32(clamping: max(1, threads)), &reason) else {
            let text = reason.map { String(cString: $0) } ?? "unknown error"
            throw ChangerecError(.system, "cannot start zstd compression with libzstd \(version): \(text)")
        }
        self.stream = stream
    }

    deinit { cchangerec_zstd_close(stream) }

    /// Loads libzstd once for the process — `libzstd.so.1`, or the file `CHANGEREC_LIBZSTD` names — and
    /// returns its version (`1.5.4`).
    ///
    /// - Throws: `ChangerecError` in one line naming what is missing and how to get it.
    @discardableResult
    public static func load() throws(ChangerecError) -> String {
        try loaded.get()
    }

    private static let loaded: Result<String, ChangerecError> = Result { () throws(ChangerecError) in
        try load(Host.environment(libraryVariable) ?? defaultLibrary)
    }

    /// Loads the library file `name` (for ``load()``, and for tests of its failure).
    static func load(_ name: String) throws(ChangerecError) -> String {
        var reason = [CChar](repeating: 0, count: 512)
        let status = cchangerec_zstd_load(name, &reason, reason.count)
        guard status == 0 else {
            let text = String(decoding: reason.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if status == -2 {
                throw ChangerecError(
                    .usage,
                    "zstd compression needs libzstd (\(name)), which a static executable such as this changerec cannot load at run time; use --compress gzip or none, or a dynamically linked build of changerec"
                )
            }
            throw ChangerecError(
                .system,
                "zstd compression needs libzstd (\(name)), which could not be loaded: \(text); install it with 'apt-get install libzstd1'"
            )
        }
        let number = cchangerec_zstd_version()
        return "\(number / 10000).\(number / 100 % 100).\(number % 100)"
    }

    public func compress(
        _ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void
    ) throws(ChangerecError) {
        try run(input, end: false, sink)
    }

    public func finish(_ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void) throws(ChangerecError) {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), end: true, sink)
    }

    private func run(
        _ input: UnsafeRawBufferPointer, end: Bool, _ sink: (UnsafeRawBufferPointer) throws(ChangerecError) -> Void
    ) throws(ChangerecError) {
        var offset = 0
        while true {
            var consumed = 0
            var produced = 0
            var reason: UnsafePointer<CChar>?
            let status = output.withUnsafeMutableBytes { out in
                cchangerec_zstd_step(
                    stream, input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + offset },
                    input.count - offset, out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count,
                    &consumed, &produced, end ? 1 : 0, &reason)
            }
            if status < 0 {
                throw ChangerecError(
                    .system, "zstd compression failed: \(reason.map { String(cString: $0) } ?? "unknown error")")
            }
            offset += consumed
            if produced > 0 { try output.hand(0..<produced, to: sink) }
            if end ? status == 1 : offset == input.count { return }
        }
    }
}
