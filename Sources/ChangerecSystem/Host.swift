import CChangerecLinux
import Glibc
import SystemPackage

/// Clocks, the host name and the process table.
public enum Host {
    /// Nanoseconds since the Unix epoch. The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
    public static func wallClockNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Nanoseconds on a clock that never goes back. The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    public static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// This machine's name. The corresponding C function is `gethostname`.
    public static func name() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The machine's architecture as the OCI image spec names it (`amd64`, `arm64`, ...).
    /// The corresponding C function is `uname`.
    public static func ociArchitecture() -> String {
        var names = utsname()
        uname(&names)
        let machine = withUnsafeBytes(of: names.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64": return "arm64"
        case "i386", "i686": return "386"
        case "armv7l": return "arm"
        default: return machine
        }
    }

    /// The environment as the program was started with: takes out what was set only so that a statically
    /// linked Swift runtime could start without `/proc`. Called first thing in `main`, before any command
    /// inherits the environment. The corresponding C function is `cchangerec_restore_environment`.
    public static func restoreEnvironment() {
        cchangerec_restore_environment()
    }

    /// Sleeps for `nanoseconds`, or less if a signal arrives. The corresponding C function is `nanosleep`.
    public static func pause(nanoseconds: Int) {
        var request = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        _ = nanosleep(&request, nil)
    }

    /// The value of an environment variable.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// A process as `/proc` shows it.
    public struct ProcessInfo: Sendable, Hashable {
        public var pid: pid_t
        public var parent: pid_t
        public var name: String
        /// The state letter: `R`, `S`, `D`, `Z` (ended, not yet reaped)...
        public var state: Character
    }

    /// Whether `/proc` is mounted: without it (a fresh chroot, a minimal container) the process table,
    /// mountinfo and descriptor paths cannot be read.
    public static var hasProc: Bool { access("/proc/self/stat", F_OK) == 0 }

    /// Every process visible in `/proc` now. Processes that end while the table is read are left out.
    public static func processTable() -> [ProcessInfo] {
        guard let directory = try? FileSystem.open(Array("/proc".utf8), flags: O_RDONLY | O_DIRECTORY) else {
            return []
        }
        defer { FileSystem.close(directory) }
        guard let entries = try? DirectoryReader.entries(of: directory) else { return [] }
        var result: [ProcessInfo] = []
        for entry in entries {
            guard let pid = pid_t(String(decoding: entry.name, as: UTF8.self)),
                let info = processInfo(pid)
            else { continue }
            result.append(info)
        }
        return result
    }

    /// The parent and command name of `pid` from `/proc/PID/stat`, or `nil` if it is gone.
    public static func processInfo(_ pid: pid_t) -> ProcessInfo? {
        guard let fd = try? FileSystem.open(Array("/proc/\(pid)/stat".utf8), flags: O_RDONLY) else { return nil }
        defer { FileSystem.close(fd) }
        guard let bytes = try? FileSystem.read(fd, count: 4096, at: 0) else { return nil }
        // "PID (COMM) STATE PPID ...": COMM may itself hold spaces and parentheses, so split at the last ')'.
        guard let open = bytes.firstIndex(of: 0x28), let close = bytes.lastIndex(of: 0x29), open < close else {
            return nil
        }
        let name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        let fields = bytes[(close + 1)...].split(separator: 0x20)
        guard fields.count > 1, let parent = pid_t(String(decoding: fields[1], as: UTF8.self)),
            let state = String(decoding: fields[0], as: UTF8.self).first
        else { return nil }
        return ProcessInfo(pid: pid, parent: parent, name: name, state: state)
    }
}
