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
