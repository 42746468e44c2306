import Foundation
import Glibc

// changerec-torture: a seeded random workload for the recorder's torture test.
//
//   changerec-torture --populate [--seed S] [--log FILE] [options] ROOT OUTSIDE
//       builds the tree before the step (run it outside the recorder).
//   changerec-torture [--seed S] [--procs N] [--ops M] [--log FILE] [options] ROOT OUTSIDE
//       the step: N processes, each doing M operations drawn from the seed and its index.
//   changerec-torture --replay LOG [--setup] [--verbose] ROOT OUTSIDE
//       runs a log's operations again in one process, in the order they started: the step's, or with
//       --setup the tree before it (--verbose prints each). A log trimmed by hand is a script.
//   options: --no-long-names (no paths past PATH_MAX), --no-hard-links
//
// The op log (default OUTSIDE.torture.log, beside OUTSIDE) has one line per operation:
// `START-NS WHO SEQUENCE VERB WORDS... = RESULT`, WHO being p0…pN-1, s (ROOT before the step) or o (OUTSIDE).

struct Arguments {
    var seed: UInt64 = 1
    var processes = 4
    var operations = 1000
    var log: String?
    var options = WorkloadOptions(privileged: geteuid() == 0)
    var populate = false
    var replay: String?
    var replaySetup = false
    var verbose = false
    var worker: Int?
    var root = ""
    var outside = ""

    var logPath: String { log ?? outside + ".torture.log" }

    /// The words a worker process is started with.
    var workerWords: [String] {
        ["--seed", String(seed), "--ops", String(operations), "--log", logPath]
            + (options.longNames ? [] : ["--no-long-names"]) + (options.hardLinks ? [] : ["--no-hard-links"])
            + [root, outside]
    }

    init(_ words: [String]) throws {
        var rest = words[...]
        var positional: [String] = []
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw Usage("\(flag) needs a value") }
            return next
        }
        while let word = rest.popFirst() {
            switch word {
            case "--seed": seed = try UInt64(value(word)).orThrow(Usage("--seed needs a number"))
            case "--procs": processes = try Int(value(word)).orThrow(Usage("--procs needs a number"))
            case "--ops": operations = try Int(value(word)).orThrow(Usage("--ops needs a number"))
            case "--log": log = try value(word)
            case "--worker": worker = try Int(value(word)).orThrow(Usage("--worker needs a number"))
            case "--replay": replay = try value(word)
            case "--setup": replaySetup = true
            case "--verbose": verbose = true
            case "--populate": populate = true
            case "--no-long-names": options.longNames = false
            case "--no-hard-links": options.hardLinks = false
            default:
                if word.hasPrefix("--") { throw Usage("unknown option \(word)") }
                positional.append(word)
            }
        }
        guard positional.count == 2 else { throw Usage("ROOT and OUTSIDE are needed") }
        root = positional[0]
        outside = positional[1]
    }
}

struct Usage: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Optional {
    func orThrow(_ error: Usage) throws -> Wrapped {
        guard let self else { throw error }
        return self
    }
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Appends whole lines to the op log: O_APPEND and one write(2) per line, so the lines of several
/// processes never mix.
final class OpLog {
    let fd: Int32

    init(_ path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw Usage("cannot open the op log \(path): errno \(errno)") }
    }

    deinit { close(fd) }

    func append(start: UInt64, who: String, sequence: Int, _ operation: Operation, result: Int32) {
        let line = Array("\(start) \(who) \(sequence) \(operation) = \(resultName(result))\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

func resultName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        0: "ok", ENOENT: "ENOENT", EEXIST: "EEXIST", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", ENOTEMPTY: "ENOTEMPTY",
        EINVAL: "EINVAL", ELOOP: "ELOOP", EPERM: "EPERM", EACCES: "EACCES", EXDEV: "EXDEV", EBUSY: "EBUSY",
        ENXIO: "ENXIO", EOPNOTSUPP: "EOPNOTSUPP", ENODATA: "ENODATA", EMLINK: "EMLINK", ENAMETOOLONG: "ENAMETOOLONG",
        ENOSPC: "ENOSPC", ETXTBSY: "ETXTBSY",
    ]
    return names[code] ?? "E\(code)"
}

/// Runs `operations` with one executor, logging each.
func run(_ operations: [Operation], who: String, executor: Executor, log: OpLog) {
    for (sequence, operation) in operations.enumerated() {
        let start = monotonicNanoseconds()
        log.append(start: start, who: who, sequence: sequence, operation, result: executor.run(operation))
    }
}

func runWorker(_ index: Int, _ arguments: Arguments) throws {
    let executor = try Executor(root: arguments.root, outside: arguments.outside)
    let log = try OpLog(arguments.logPath)
    var generator = Generator(
        seed: arguments.seed, stream: UInt64(index), worker: "p\(index)", options: arguments.options)
    for sequence in 0..<arguments.operations {
        let operation = generator.next(sequence)
        let start = monotonicNanoseconds()
        log.append(start: start, who: "p\(index)", sequence: sequence, operation, result: executor.run(operation))
    }
}

func populate(_ arguments: Arguments) throws {
    let log = try OpLog(arguments.logPath)
    let root = try Executor(root: arguments.root, outside: arguments.outside)
    run(Setup.rootOperations(seed: arguments.seed, options: arguments.options), who: "s", executor: root, log: log)
    let outside = try Executor(root: arguments.outside, outside: arguments.outside)
    run(Setup.outsideOperations(seed: arguments.seed), who: "o", executor: outside, log: log)
}

/// One line of an op log.
struct LoggedOperation {
    var start: UInt64
    var who: String
    var operation: Operation
    var result: String

    init?(_ line: Substring) {
        let parts = line.split(separator: " ", maxSplits: 3)
        guard parts.count == 4, let start = UInt64(parts[0]) else { return nil }
        let text = parts[3]
        guard let equals = text.range(of: " = ", options: .backwards),
            let operation = Operation(parsing: text[..<equals.lowerBound])
        else { return nil }
        self.start = start
        who = String(parts[1])
        self.operation = operation
        result = String(text[equals.upperBound...])
    }
}

func replay(_ path: String, _ arguments: Arguments) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n").compactMap(LoggedOperation.init).filter {
        arguments.replaySetup ? ($0.who == "s" || $0.who == "o") : $0.who.hasPrefix("p")
    }.sorted { $0.start < $1.start }
    let root = try Executor(root: arguments.root, outside: arguments.outside)
    let outside = try Executor(root: arguments.outside, outside: arguments.outside)
    var differing = 0
    for line in lines {
        let result = resultName((line.who == "o" ? outside : root).run(line.operation))
        if result != line.result { differing += 1 }
        if arguments.verbose {
            print("\(line.who) \(line.operation) = \(result)\(result == line.result ? "" : " (logged \(line.result))")")
        }
    }
    print("torture: replayed \(lines.count) operations of \(path); \(differing) ended otherwise than logged")
}

/// Starts the workers, waits for them all, and says what they did.
func runStep(_ arguments: Arguments) throws -> Int32 {
    let began = monotonicNanoseconds()
    _ = try OpLog(arguments.logPath)
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var workers: [Process] = []
    for index in 0..<arguments.processes {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--worker", String(index)] + arguments.workerWords
        try process.run()
        workers.append(process)
    }
    var status: Int32 = 0
    for (index, process) in workers.enumerated() {
        process.waitUntilExit()
        guard process.terminationStatus != 0 || process.terminationReason != .exit else { continue }
        status = 1
        // Which worker ended how: with its last logged operation, this is what a replay starts from.
        let how =
            process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
        FileHandle.standardError.write(Data("torture: worker p\(index) \(how)\n".utf8))
    }
    let seconds = Double(monotonicNanoseconds() - began) / 1e9
    let lines = try String(contentsOfFile: arguments.logPath, encoding: .utf8).split(separator: "\n")
        .compactMap(LoggedOperation.init).filter { $0.who.hasPrefix("p") }
    var byVerb: [String: (done: Int, all: Int)] = [:]
    for line in lines {
        let verb = line.operation.verb.rawValue
        byVerb[verb, default: (0, 0)].all += 1
        if line.result == "ok" { byVerb[verb, default: (0, 0)].done += 1 }
    }
    let done = lines.filter { $0.result == "ok" }.count
    let verbs = byVerb.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.done)/\($0.value.all)" }
    FileHandle.standardError.write(
        Data(
            ("torture: seed \(arguments.seed), \(arguments.processes) × \(arguments.operations) operations in "
                + "\(String(format: "%.1f", seconds)) s, \(done) of \(lines.count) succeeded (\(verbs.joined(separator: ", "))); "
                + "log \(arguments.logPath)\n").utf8))
    return status
}

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    if let worker = arguments.worker {
        try runWorker(worker, arguments)
    } else if arguments.populate {
        try populate(arguments)
    } else if let log = arguments.replay {
        try replay(log, arguments)
    } else {
        exit(try runStep(arguments))
    }
} catch {
    FileHandle.standardError.write(Data("changerec-torture: \(error)\n".utf8))
    exit(2)
}
