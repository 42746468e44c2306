/// The variables and settings in force at one point of a Containerfile, as Docker scopes them: ARGs
/// before the FROM are for the FROM alone; after it an ARG is in scope from its line on, its value the
/// `--build-arg` or else its default; ENV (and the base image's `Env`) wins over an ARG of the same name.
struct BuildScope {
    private let arguments: [String: String]
    /// ARGs declared so far in the stage, with their values (`nil`: declared without one).
    private var stageArguments: [String: String?] = [:]
    /// ARGs declared before FROM, with their values.
    private var globalArguments: [String: String?] = [:]
    private var inStage = false
    /// `Env` as the image will have it, in order.
    private(set) var environment: [(key: String, value: String)] = []
    /// Every ARG name declared anywhere, to name the `--build-arg`s no ARG uses.
    private(set) var declared: Set<String> = []
    var workingDirectory = "/"
    var user: String?
    var shell = ["/bin/sh", "-c"]

    init(arguments: [String: String]) {
        self.arguments = arguments
    }

    /// What `${VAR}` reads here.
    var variables: [String: String] {
        var result: [String: String] = [:]
        for (name, value) in inStage ? stageArguments : globalArguments {
            if let value { result[name] = value }
        }
        for (key, value) in environment { result[key] = value }
        return result
    }

    /// A RUN step's environment: `Env`, then the ARGs with a value that `Env` does not name.
    var runEnvironment: [String] {
        var result = environment.map { "\($0.key)=\($0.value)" }
        let named = Set(environment.map(\.key))
        for (name, value) in stageArguments.sorted(by: { $0.key < $1.key }) where !named.contains(name) {
            if let value { result.append("\(name)=\(value)") }
        }
        return result
    }

    mutating func declare(_ name: String, defaultValue: String?) {
        declared.insert(name)
        // A global ARG redeclared without a value in the stage takes the global value.
        let inherited = inStage && defaultValue == nil ? globalArguments[name] ?? nil : nil
        let value = arguments[name] ?? defaultValue ?? inherited
        if inStage { stageArguments[name] = value } else { globalArguments[name] = value }
    }

    mutating func setEnvironment(_ key: String, _ value: String) {
        if let index = environment.firstIndex(where: { $0.key == key }) {
            environment[index].value = value
        } else {
            environment.append((key, value))
        }
    }

    /// FROM: the stage starts with the base image's `Env`, `WorkingDir`, `User` and `Shell`.
    mutating func enterStage(config: [String: JSONValue]) {
        inStage = true
        stageArguments = [:]
        environment = []
        if case .array(let entries)? = config["Env"] {
            for case .string(let entry) in entries {
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                setEnvironment(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
        }
        if case .string(let directory)? = config["WorkingDir"], !directory.isEmpty { workingDirectory = directory }
        if case .string(let user)? = config["User"], !user.isEmpty { self.user = user }
        if case .array(let words)? = config["Shell"] {
            let shell = words.compactMap { word -> String? in
                if case .string(let text) = word { return text }
                return nil
            }
            if !shell.isEmpty { self.shell = shell }
        }
    }
}
