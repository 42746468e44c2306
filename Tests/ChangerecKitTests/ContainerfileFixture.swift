import ChangerecKit
import ChangerecSystem
import Foundation
import Testing

/// A Containerfile and what parsing it must give, as text: `Fixtures/containerfile/*.containerfile`.
///
/// Sections begin with a line `=== NAME`; what comes before the first is a description:
/// - `=== containerfile`: the file to parse, given as `Containerfile`.
/// - `=== expand [K=V ...]` (optional): expand every instruction with these variables (values without spaces).
/// - `=== expect`: per instruction, `LINE OPERATION` (see `BuildInstruction.fixtureText`) and `  | TEXT`.
/// - `=== error`: the one error line parsing (or expanding) must throw instead.
struct ContainerfileFixture {
    var containerfile = ""
    var variables: [String: String]?
    var expected: [String] = []
    var error: String?

    init(_ text: String) throws {
        var section = ""
        var body: [Substring] = []
        func close() {
            switch section {
            case "containerfile": containerfile = body.map { "\($0)\n" }.joined()
            case "expect": expected = body.map(String.init)
            case "error": error = body.map(String.init).joined(separator: "\n")
            default: break
            }
            body = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("=== ") else {
                body.append(line)
                continue
            }
            close()
            let words = line.dropFirst(4).split(separator: " ")
            section = words.first.map(String.init) ?? ""
            if section == "expand" {
                var variables: [String: String] = [:]
                for pair in words.dropFirst() {
                    let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    variables[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
                self.variables = variables
            }
        }
        close()
        while expected.last == "" { expected.removeLast() }
        while containerfile.hasSuffix("\n\n") { containerfile.removeLast() }
    }

    /// The lines parsing (and expanding) gives, or the error's one line.
    func outcome() -> [String] {
        do throws(ChangerecError) {
            var instructions = try Containerfile.parse(containerfile, file: "Containerfile").instructions
            if let variables {
                instructions = try instructions.map { (instruction) throws(ChangerecError) in
                    try instruction.expanded(with: variables)
                }
            }
            return instructions.flatMap(\.fixtureText)
        } catch {
            #expect(error.code == .usage)
            return [error.message]
        }
    }

    static let names: [String] = {
        let directory = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/containerfile")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory?.path ?? "")) ?? []
        return names.filter { $0.hasSuffix(".containerfile") }.sorted()
    }()

    static func load(_ name: String) throws -> ContainerfileFixture {
        let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/containerfile/\(name)"))
        return try ContainerfileFixture(String(contentsOf: url, encoding: .utf8))
    }
}

extension BuildInstruction {
    /// Two lines: `LINE OPERATION` with every string quoted as Swift writes it, then `  | TEXT`.
    var fixtureText: [String] {
        ["\(line) \(operation.fixtureText)", "  | \(text)"]
    }
}

extension BuildOperation {
    var fixtureText: String {
        func q(_ string: String) -> String { string.debugDescription }
        func list(_ strings: [String]) -> String { "[" + strings.map(q).joined(separator: ", ") + "]" }
        func form(_ form: CommandForm) -> String {
            switch form {
            case .shell(let command): "shell \(q(command))"
            case .exec(let arguments): "exec \(list(arguments))"
            }
        }
        func copy(_ copy: CopyOperation) -> String {
            var text = "\(list(copy.sources)) \(q(copy.destination))"
            if let chown = copy.chown { text += " chown=\(q(chown))" }
            if let chmod = copy.chmod { text += " chmod=\(q(chmod))" }
            return text
        }
        func pairs(_ pairs: [KeyValue]) -> String { pairs.map { "\(q($0.key))=\(q($0.value))" }.joined(separator: " ") }
        switch self {
        case .from(let image): return "FROM \(q(image))"
        case .run(let command): return "RUN \(form(command))"
        case .copy(let operation): return "COPY \(copy(operation))"
        case .add(let operation): return "ADD \(copy(operation))"
        case .env(let values): return "ENV \(pairs(values))"
        case .arg(let name, let value): return "ARG \(q(name))" + (value.map { "=\(q($0))" } ?? "")
        case .workdir(let directory): return "WORKDIR \(q(directory))"
        case .user(let user): return "USER \(q(user))"
        case .cmd(let command): return "CMD \(form(command))"
        case .entrypoint(let command): return "ENTRYPOINT \(form(command))"
        case .label(let values): return "LABEL \(pairs(values))"
        case .expose(let ports): return "EXPOSE \(list(ports))"
        case .shell(let arguments): return "SHELL \(list(arguments))"
        case .stopSignal(let signal): return "STOPSIGNAL \(q(signal))"
        }
    }
}
