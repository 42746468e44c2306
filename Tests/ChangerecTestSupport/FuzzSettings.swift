import Foundation
import Glibc

/// How many fuzz cases to run and from which seed: a small, fixed run by default (CI), more through the
/// environment. `CHANGEREC_FUZZ_CASES=N` sets the count, `CHANGEREC_FUZZ_SEED=S` the seed, and
/// `CHANGEREC_FUZZ_ONLY=I` replays the single case I of seed S; `CHANGEREC_FUZZ_FIRST=F` starts at case F.
public struct FuzzSettings: Sendable {
    public var seed: UInt64
    public var cases: Range<Int>

    public init(defaultCases: Int, defaultSeed: UInt64, casesVariable: String = "CHANGEREC_FUZZ_CASES") {
        let environment = ProcessInfo.processInfo.environment
        seed = environment["CHANGEREC_FUZZ_SEED"].flatMap { UInt64($0) } ?? defaultSeed
        if let only = environment["CHANGEREC_FUZZ_ONLY"].flatMap({ Int($0) }) {
            cases = only..<(only + 1)
        } else {
            // CHANGEREC_FUZZ_FIRST shards a long run: each process takes its own range of case numbers.
            let first = environment["CHANGEREC_FUZZ_FIRST"].flatMap { Int($0) } ?? 0
            cases = first..<(first + (environment[casesVariable].flatMap { Int($0) } ?? defaultCases))
        }
    }

    /// The line that replays case `index` exactly.
    public func replay(_ index: Int, filter: String) -> String {
        "CHANGEREC_FUZZ_SEED=\(seed) CHANGEREC_FUZZ_ONLY=\(index) swift test --skip-build --filter '\(filter)'"
    }
}

/// The case being run, kept in a file so that a case that traps the test process can still be named:
/// read the file after the crash.
public final class InFlightCase: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(name: String) {
        path = NSTemporaryDirectory() + "changerec-fuzz-\(name)-\(getpid())-in-flight"
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    public func set(_ line: String) {
        guard fd >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        ftruncate(fd, 0)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
}

/// Nanoseconds on the monotonic clock.
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
