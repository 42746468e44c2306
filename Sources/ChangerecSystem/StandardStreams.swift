import CChangerecLinux
import Glibc

/// Writing to the standard streams, and whether they are terminals.
public enum StandardStreams {
    /// Writes `text` to standard error at once (unbuffered), as messages should be.
    public static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Writes `text` to standard output through stdio's buffer.
    public static func writeOutput(_ text: String) {
        fputs(text, cchangerec_stdout())
    }

    /// Flushes standard output. Returns `false` when the write failed (a closed pipe, a full disk).
    @discardableResult
    public static func flushOutput() -> Bool {
        fflush(cchangerec_stdout()) == 0 && ferror(cchangerec_stdout()) == 0
    }

    public static var errorIsTerminal: Bool { isatty(2) == 1 }
}

/// The raw bytes of this process's arguments; `CommandLine.arguments` repairs names that are not UTF-8.
///
/// They come from the C shim, which keeps the `argv` glibc hands to program constructors: Swift's
/// `CommandLine` reads `/proc/self/cmdline` on Linux and is empty where `/proc` is not mounted (a fresh
/// chroot, a minimal container). `CommandLine` is the fallback should no constructor have run.
public enum RawArguments {
    public static func all() -> [[UInt8]] {
        var count: Int32 = 0
        if let vector = cchangerec_arguments(&count), count > 0 {
            return (0..<Int(count)).map { bytes(of: vector[$0]) }
        }
        return (0..<Int(CommandLine.argc)).map { bytes(of: CommandLine.unsafeArgv[$0]) }
    }

    /// The arguments as strings, with bytes that are not UTF-8 repaired as `CommandLine.arguments` does.
    public static func strings() -> [String] {
        all().map { String(decoding: $0, as: UTF8.self) }
    }

    private static func bytes(of pointer: UnsafeMutablePointer<CChar>?) -> [UInt8] {
        guard let pointer else { return [] }
        return Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
    }
}

/// Calendar time for output, without Foundation.
public enum Timestamp {
    /// `2026-11-29T04:30:00.123456789Z` for nanoseconds since the Unix epoch.
    public static func iso8601(nanoseconds: Int64) -> String {
        // Floor division that cannot overflow, whatever a journal's header says.
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let fractionDigits = String(fraction)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - fractionDigits.count) + fractionDigits + "Z"
    }
}
