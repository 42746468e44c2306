import ChangerecSystem

extension BuildInstruction {
    /// The instruction with Docker's variable substitution applied where Docker applies it.
    ///
    /// Expanded, one word at a time with `VariableExpander` (so quotes and escapes are removed too): FROM's
    /// image, COPY and ADD sources, destination, `--chown` and `--chmod`, ENV and LABEL keys and values,
    /// ARG's default, EXPOSE's ports (an expanded value with spaces gives several), STOPSIGNAL, USER and
    /// WORKDIR. Left as written: RUN, CMD, ENTRYPOINT and SHELL, whose shell expands at run time, and
    /// ARG's name. `text` always stays as written.
    ///
    /// Docker expands every value of one ENV or LABEL with the variables as they were before it, so
    /// `ENV A=1 B=$A` sets B from the earlier A; pass the variables in scope before this instruction.
    /// - Parameter variables: the build arguments and environment in scope.
    /// - Throws: `ChangerecError(.usage)`, `FILE:LINE: WHAT — WHAT TO DO`, for a `${VAR:?message}` whose
    ///   variable is unset, or an expanded value that is not allowed (a remote ADD source, a base image that
    ///   is not `scratch` or `oci:…`, a mode, port or signal that is not one, an empty WORKDIR or USER).
    public func expanded(with variables: [String: String]) throws(ChangerecError) -> BuildInstruction {
        var result = self
        do {
            result.operation = try expandedOperation(variables)
        } catch {
            throw error.located(file: file, line: line)
        }
        return result
    }

    private func expandedOperation(_ variables: [String: String]) throws(BuildProblem) -> BuildOperation {
        func expand(_ word: String) throws(BuildProblem) -> String {
            do {
                return try VariableExpander.expand(word, escape: escape) { variables[$0] }
            } catch {
                throw BuildProblem("\(keyword) '\(word)': \(error.what)", error.todo)
            }
        }
        switch operation {
        case .run, .cmd, .entrypoint, .shell:
            return operation
        case .from(let image):
            let expanded = try nonEmpty(expand(image), example: "FROM oci:LAYOUT:TAG")
            try BuildValueChecks.baseImage(expanded)
            return .from(image: expanded)
        case .copy(let copy):
            return .copy(try expandCopy(copy, expand))
        case .add(let copy):
            return .add(try expandCopy(copy, expand))
        case .env(let pairs):
            return .env(try expandPairs(pairs, expand))
        case .label(let pairs):
            return .label(try expandPairs(pairs, expand))
        case .arg(let name, let defaultValue):
            return .arg(name: name, defaultValue: try defaultValue.map(expand))
        case .workdir(let directory):
            return .workdir(try nonEmpty(expand(directory), example: "WORKDIR /app"))
        case .user(let user):
            return .user(try nonEmpty(expand(user), example: "USER 1000:1000"))
        case .stopSignal(let signal):
            let expanded = try expand(signal)
            try BuildValueChecks.signal(expanded)
            return .stopSignal(expanded)
        case .expose(let ports):
            var expanded: [String] = []
            for port in ports { expanded += ShellWords.plain(try expand(port)) }
            for port in expanded { try BuildValueChecks.port(port) }
            guard !expanded.isEmpty else { throw BuildProblem("EXPOSE expands to no port", "set the variable") }
            return .expose(expanded)
        }
    }

    private func nonEmpty(_ value: String, example: String) throws(BuildProblem) -> String {
        guard value.isEmpty else { return value }
        throw BuildProblem("\(keyword) expands to nothing", "set the variable it uses, e.g. \(example)")
    }

    private func expandCopy(
        _ copy: CopyOperation, _ expand: (String) throws(BuildProblem) -> String
    ) throws(BuildProblem) -> CopyOperation {
        var result = CopyOperation(sources: [], destination: try expand(copy.destination))
        for source in copy.sources {
            let expanded = try expand(source)
            try BuildValueChecks.localSource(expanded, keyword: keyword)
            result.sources.append(expanded)
        }
        guard !result.destination.isEmpty else {
            throw BuildProblem("\(keyword)'s destination expands to nothing", "set the variable it uses")
        }
        result.chown = try copy.chown.map(expand)
        if let chmod = copy.chmod {
            let expanded = try expand(chmod)
            try BuildValueChecks.mode(expanded, keyword: keyword)
            result.chmod = expanded
        }
        return result
    }

    private func expandPairs(
        _ pairs: [KeyValue], _ expand: (String) throws(BuildProblem) -> String
    ) throws(BuildProblem) -> [KeyValue] {
        var result: [KeyValue] = []
        for pair in pairs {
            let key = try expand(pair.key)
            guard !key.isEmpty else {
                throw BuildProblem("\(keyword) name '\(pair.key)' expands to nothing", "set the variable it uses")
            }
            result.append(KeyValue(key: key, value: try expand(pair.value)))
        }
        return result
    }
}
