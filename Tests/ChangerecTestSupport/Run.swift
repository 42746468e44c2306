import Foundation
import Glibc

/// A finished process: its exit status as a shell reports it, and what it printed.
public struct RunResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutData: Data
}

/// Runs processes the way a user would: the real binary, real streams, the real exit status.
public enum Run {
    /// The `changerec` binary under test: `$CHANGEREC_BIN`, or the one built beside the test bundle.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["CHANGEREC_BIN"] { return path }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("changerec").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/changerec"
    }

    /// Runs `changerec ARGS` in `directory`.
    public static func changerec(_ arguments: [String], directory: String? = nil, environment: [String: String] = [:])
        throws -> RunResult
    {
        try command([binary] + arguments, directory: directory, environment: environment)
    }

    /// Runs `arguments[0]` with the rest as arguments, its output captured through files so that
    /// neither stream can fill a pipe and block it.
    public static func command(_ arguments: [String], directory: String? = nil, environment: [String: String] = [:])
        throws -> RunResult
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        // Never the package directory: a workload run without a directory must not write into the sources.
        process.currentDirectoryURL = URL(fileURLWithPath: directory ?? NSTemporaryDirectory())

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("changerec-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("changerec-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let status: Int32 =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        let outData = (try? Data(contentsOf: outURL)) ?? Data()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return RunResult(
            status: status, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    /// Records `script` (run by `/bin/sh -c` in ROOT) in a fresh tree holding what `tree` declares, the
    /// journal beside ROOT; returns the tree and the journal's path.
    /// - Throws: `TestFailure` with changerec's standard error when the recording does not exit 0.
    public static func recordedStep(_ script: String, tree specs: [TreeSpec] = []) throws -> (TemporaryTree, String) {
        let tree = try TemporaryTree()
        try tree.materialise(specs)
        let journal = tree.base + "/step.journal"
        let result = try changerec(
            ["--quiet", "--root", tree.root, "--journal", journal, "--", "/bin/sh", "-c", script], directory: tree.root)
        guard result.status == 0 else { throw TestFailure("recording failed (\(result.status)): \(result.stderr)") }
        return (tree, journal)
    }
}
