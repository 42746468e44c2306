/// Turns one logical line into a `BuildOperation`, or explains why changerec will not run it.
///
/// The splitting follows BuildKit's per-instruction parsers (`parseMaybeJSON`, `parseNameVal`,
/// `parseStringsWhitespaceDelimited`, …) so a file means here what it means to `docker build`; the
/// refusals name what to do instead.
struct InstructionParser {
    let keyword: String
    let arguments: InstructionFlags
    let escape: Character

    /// Every instruction Docker knows, for "did you mean" and to tell unsupported from unknown.
    static let supported = [
        "FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "USER", "CMD", "ENTRYPOINT", "LABEL", "EXPOSE",
        "SHELL", "STOPSIGNAL",
    ]
    static let unsupported: [String: String] = [
        "ONBUILD": "remove it; changerec images carry no build triggers",
        "HEALTHCHECK": "remove it and give the check when running the container (podman run --health-cmd)",
        "VOLUME": "remove it and mount volumes when running the container (podman run -v)",
        "MAINTAINER": "it is deprecated; write LABEL org.opencontainers.image.authors=\"NAME\" instead",
    ]

    /// Splits `text` into keyword, flags and arguments.
    init(_ text: String, escape: Character) {
        let word = text.prefix { !$0.isWhitespace }
        keyword = word.uppercased()
        arguments = InstructionFlags(String(text[word.endIndex...]))
        self.escape = escape
    }

    var rest: String { arguments.rest }

    func operation() throws(BuildProblem) -> BuildOperation {
        if let advice = Self.unsupported[keyword] { throw BuildProblem("\(keyword) is not supported", advice) }
        guard Self.supported.contains(keyword) else { throw unknownInstruction() }
        switch keyword {
        case "FROM": return try from()
        case "RUN": return .run(try command(flags: Self.runFlags))
        case "COPY": return .copy(try copy(flags: Self.copyFlags))
        case "ADD": return .add(try copy(flags: Self.addFlags))
        case "ENV": return .env(try keyValues())
        case "LABEL": return .label(try keyValues())
        case "ARG": return try arg()
        case "WORKDIR": return .workdir(try single("a directory, e.g. WORKDIR /app"))
        case "USER": return .user(try single("a user, e.g. USER app or USER 1000:1000"))
        case "STOPSIGNAL": return .stopSignal(try single("a signal, e.g. STOPSIGNAL SIGTERM"))
        case "CMD": return .cmd(try command(flags: [:], allowsEmpty: true))
        case "ENTRYPOINT": return .entrypoint(try command(flags: [:], allowsEmpty: true))
        case "EXPOSE": return .expose(try expose())
        default: return .shell(try shell())
        }
    }

    // MARK: Flags

    /// Flags Docker knows but changerec refuses, with what to do instead; any other is unknown.
    typealias Refusals = [String: (what: String, todo: String)]

    static let runFlags: Refusals = [
        "mount": (
            "RUN --mount is not supported",
            "copy what the step needs into the image with COPY, or pass a bind mount to changerec run --mount"
        ),
        "network": ("RUN --network is not supported", "remove the flag"),
        "security": ("RUN --security is not supported", "remove the flag"),
    ]
    static let copyFlags: Refusals = [
        "from": (
            "COPY --from (a multi-stage build) is not supported",
            "split into separate builds: build the first stage to a layout, then start FROM oci:LAYOUT:TAG or copy its files into the build context"
        ),
        "link": ("COPY --link is not supported", "remove the flag; every COPY is recorded as its own layer"),
        "parents": ("COPY --parents is not supported", "copy each directory to its destination separately"),
        "exclude": ("COPY --exclude is not supported", "list the sources to copy"),
    ]
    static let addFlags: Refusals = [
        "checksum": ("ADD --checksum is not supported", "ADD takes local sources only; check files before the build"),
        "keep-git-dir": ("ADD --keep-git-dir is not supported", "clone the repository into the build context"),
        "link": ("ADD --link is not supported", "remove the flag; every ADD is recorded as its own layer"),
        "exclude": ("ADD --exclude is not supported", "list the sources to add"),
    ]

    /// The values of `allowed` flags (each given at most once, with a value); anything else refused.
    func flagValues(allowed: Set<String> = [], refusing refusals: Refusals) throws(BuildProblem) -> [String: String] {
        var values: [String: String] = [:]
        for (name, value) in arguments.flags {
            if let refusal = refusals[name] { throw BuildProblem(refusal.what, refusal.todo) }
            guard allowed.contains(name) else {
                let known = allowed.sorted().map { "--\($0)" }.joined(separator: ", ")
                let todo = known.isEmpty ? "\(keyword) takes no flags" : "\(keyword) takes \(known)"
                throw BuildProblem("unknown flag --\(name) for \(keyword)", todo)
            }
            guard let value, !value.isEmpty else {
                let example = ["chown": "USER[:GROUP]", "chmod": "0755"][name] ?? "VALUE"
                throw BuildProblem("\(keyword) --\(name) needs a value", "write --\(name)=\(example)")
            }
            guard values.updateValue(value, forKey: name) == nil else {
                throw BuildProblem("\(keyword) --\(name) is given twice", "keep one")
            }
        }
        return values
    }

    // MARK: Instructions

    func from() throws(BuildProblem) -> BuildOperation {
        if arguments.flags.contains(where: { $0.name == "platform" }) {
            throw BuildProblem(
                "FROM --platform is not supported", "remove the flag and use a base image made for this machine")
        }
        _ = try flagValues(refusing: [:])
        let words = ShellWords.plain(rest)
        guard words.count == 1 || (words.count == 3 && words[1].lowercased() == "as") else {
            throw BuildProblem(
                "FROM takes an image and optionally AS NAME",
                "write FROM scratch or FROM oci:LAYOUT[:TAG] [AS NAME]")
        }
        try checkSyntax(words[0])
        if !words[0].contains("$") { try BuildValueChecks.baseImage(words[0]) }
        return .from(image: words[0])
    }

    func command(flags refusals: Refusals, allowsEmpty: Bool = false) throws(BuildProblem) -> CommandForm {
        _ = try flagValues(refusing: refusals)
        switch JSONStringArray.parse(rest) {
        case .strings(let strings):
            guard allowsEmpty || !strings.isEmpty else { throw missing("a command") }
            return .exec(strings)
        case .notStrings:
            throw BuildProblem("the JSON array of \(keyword) holds something other than strings", "quote every element")
        case .notJSON:
            guard !rest.isEmpty else { throw missing("a command") }
            if keyword == "RUN" { try refuseHeredoc(ShellWords.plain(rest)) }
            return .shell(rest)
        }
    }

    func copy(flags refusals: Refusals) throws(BuildProblem) -> CopyOperation {
        let flags = try flagValues(allowed: ["chown", "chmod"], refusing: refusals)
        let words: [String]
        var isJSON = true
        switch JSONStringArray.parse(rest) {
        case .strings(let strings): words = strings
        case .notStrings:
            throw BuildProblem("the JSON array of \(keyword) holds something other than strings", "quote every element")
        case .notJSON:
            words = ShellWords.plain(rest)
            isJSON = false
            try refuseHeredoc(words)
        }
        guard words.count >= 2, let destination = words.last else {
            throw BuildProblem(
                "\(keyword) needs at least one source and a destination",
                "write \(keyword) SOURCE... DESTINATION, e.g. \(keyword) app.conf /etc/app/")
        }
        let sources = Array(words.dropLast())
        for source in sources { try BuildValueChecks.localSource(source, keyword: keyword) }
        for word in words {
            do {
                try checkSyntax(word)
            } catch let problem where !isJSON && (word.contains("\"") || word.contains("'")) {
                throw BuildProblem(
                    "\(problem.what) (quotes do not group words in \(keyword))",
                    "write paths with spaces in JSON form: \(keyword) [\"a b\", \"/dst/\"]")
            }
        }
        if let chmod = flags["chmod"] {
            try checkSyntax(chmod)
            if !chmod.contains("$") { try BuildValueChecks.mode(chmod, keyword: keyword) }
        }
        if let chown = flags["chown"] { try checkSyntax(chown) }
        return CopyOperation(sources: sources, destination: destination, chown: flags["chown"], chmod: flags["chmod"])
    }

    /// `KEY=VALUE ...`, or the legacy `KEY VALUE WITH SPACES` when the first word has no `=`.
    func keyValues() throws(BuildProblem) -> [KeyValue] {
        _ = try flagValues(refusing: [:])
        let words = ShellWords.quoted(rest, escape: escape)
        guard let first = words.first else { throw missing("KEY=VALUE") }
        guard first.contains("=") else {
            let key = rest.prefix { !$0.isWhitespace }
            let value = ShellWords.trimmed(rest[key.endIndex...])
            guard !value.isEmpty else {
                throw BuildProblem("\(keyword) \(key) has no value", "write \(keyword) \(key)=VALUE")
            }
            try checkSyntax(String(key))
            try checkSyntax(value)
            return [KeyValue(key: String(key), value: value)]
        }
        var pairs: [KeyValue] = []
        for word in words {
            guard let equals = word.firstIndex(of: "=") else {
                throw BuildProblem(
                    "'\(word)' has no '=' in \(keyword)",
                    "write every pair as KEY=VALUE, quoting values with spaces (KEY=\"a b\")")
            }
            let pair = KeyValue(key: String(word[..<equals]), value: String(word[word.index(after: equals)...]))
            guard !pair.key.isEmpty else { throw BuildProblem("\(keyword) has an empty name in '\(word)'", "name it") }
            try checkSyntax(pair.key)
            try checkSyntax(pair.value)
            pairs.append(pair)
        }
        return pairs
    }

    func arg() throws(BuildProblem) -> BuildOperation {
        _ = try flagValues(refusing: [:])
        let words = ShellWords.quoted(rest, escape: escape)
        guard words.count == 1, let word = words.first else {
            guard words.isEmpty else {
                throw BuildProblem(
                    "ARG takes one NAME or NAME=DEFAULT, not \(words.count) words",
                    "write one ARG per line, with no spaces around '=' (ARG VERSION=1.0)")
            }
            throw missing("a name, e.g. ARG VERSION or ARG VERSION=1.0")
        }
        guard let equals = word.firstIndex(of: "=") else { return .arg(name: word, defaultValue: nil) }
        let name = String(word[..<equals])
        let value = String(word[word.index(after: equals)...])
        guard !name.isEmpty else { throw BuildProblem("ARG has an empty name in '\(word)'", "name it") }
        try checkSyntax(value)
        return .arg(name: name, defaultValue: value)
    }

    /// WORKDIR, USER and STOPSIGNAL: the whole rest is one word, as Docker's `parseString` takes it.
    func single(_ example: String) throws(BuildProblem) -> String {
        _ = try flagValues(refusing: [:])
        guard !rest.isEmpty else { throw missing(example) }
        try checkSyntax(rest)
        if keyword == "STOPSIGNAL" && !rest.contains("$") { try BuildValueChecks.signal(rest) }
        return rest
    }

    func expose() throws(BuildProblem) -> [String] {
        _ = try flagValues(refusing: [:])
        let ports = ShellWords.plain(rest)
        guard !ports.isEmpty else { throw missing("a port, e.g. EXPOSE 80 or EXPOSE 53/udp") }
        for port in ports {
            try checkSyntax(port)
            if !port.contains("$") { try BuildValueChecks.port(port) }
        }
        return ports
    }

    func shell() throws(BuildProblem) -> [String] {
        _ = try flagValues(refusing: [:])
        guard case .strings(let strings) = JSONStringArray.parse(rest), !strings.isEmpty else {
            throw BuildProblem(
                "SHELL must be a JSON array of strings", "write it in exec form, e.g. SHELL [\"/bin/sh\", \"-c\"]")
        }
        return strings
    }

    // MARK: Checks

    func missing(_ what: String) -> BuildProblem {
        BuildProblem("\(keyword) has no arguments", "give it \(what)")
    }

    /// Quotes and `${` must close whatever the variables turn out to be, so that is checked before the
    /// build starts; `${VAR:?}` is left for `expanded(with:)`, when the variables are known.
    func checkSyntax(_ word: String) throws(BuildProblem) {
        do {
            _ = try VariableExpander.expand(word, escape: escape, checkingOnly: true) { _ in "" }
        } catch {
            throw BuildProblem("\(keyword) '\(word)': \(error.what)", error.todo)
        }
    }

    /// BuildKit reads a word such as `<<EOF`, `<<-EOF` or `2<<"EOF"` in RUN, COPY and ADD as a heredoc whose
    /// body is the following lines.
    func refuseHeredoc(_ words: [String]) throws(BuildProblem) {
        for word in words {
            let afterDigits = word.drop(while: \.isNumber)
            guard afterDigits.hasPrefix("<<") else { continue }
            let name = afterDigits.dropFirst(2).drop { $0 == "-" }
            guard !name.isEmpty, !name.contains("<") else { continue }
            throw BuildProblem(
                "heredocs (\(word)) are not supported in \(keyword)",
                "put the text in a file in the build context and COPY it, or write it with printf in RUN")
        }
    }

    func unknownInstruction() -> BuildProblem {
        let known = Self.supported + Self.unsupported.keys.sorted()
        let near = known.min { Self.distance($0, keyword) < Self.distance($1, keyword) }
        // Near enough to be a typo: RUNN, ENTRYPIONT; not FOO for FROM.
        if let near, Self.distance(near, keyword) * 3 <= keyword.count {
            return BuildProblem("unknown instruction \(keyword)", "did you mean \(near)?")
        }
        return BuildProblem("unknown instruction \(keyword)", "see the Dockerfile reference for the instructions")
    }

    /// Levenshtein distance, for "did you mean".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
