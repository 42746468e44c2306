/// The image config's `config` object (image-spec `config.md`: `Env`, `Cmd`, `Entrypoint`, `WorkingDir`,
/// `User`, `Labels`, `ExposedPorts`, `StopSignal`), which this type otherwise carries over whole, and the
/// changes a Containerfile's instructions make to it.
extension OCIImageConfig {
    public var containerConfig: [String: JSONValue] {
        get {
            if case .object(let object)? = others["config"] { return object }
            return [:]
        }
        set { others["config"] = .object(newValue) }
    }

    /// ENV: sets `KEY=VALUE` in `Env`, in place when the key is there already.
    public mutating func setEnvironment(_ key: String, _ value: String) {
        var entries: [JSONValue] = []
        if case .array(let existing)? = containerConfig["Env"] { entries = existing }
        let entry = JSONValue.string("\(key)=\(value)")
        if let index = entries.firstIndex(where: { item in
            if case .string(let text) = item { return text == key || text.hasPrefix(key + "=") }
            return false
        }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
        containerConfig["Env"] = .array(entries)
    }

    /// LABEL: one entry of `Labels`.
    public mutating func setLabel(_ key: String, _ value: String) {
        var labels: [String: JSONValue] = [:]
        if case .object(let existing)? = containerConfig["Labels"] { labels = existing }
        labels[key] = .string(value)
        containerConfig["Labels"] = .object(labels)
    }

    /// EXPOSE: `80` is `80/tcp`, as Docker writes it.
    public mutating func expose(_ port: String) {
        var ports: [String: JSONValue] = [:]
        if case .object(let existing)? = containerConfig["ExposedPorts"] { ports = existing }
        ports[port.contains("/") ? port : port + "/tcp"] = .object([:])
        containerConfig["ExposedPorts"] = .object(ports)
    }

    /// A list of strings (`Cmd`, `Entrypoint`, `Shell`), or its removal for `nil`.
    public mutating func setWords(_ key: String, _ words: [String]?) {
        containerConfig[key] = words.map { .array($0.map { JSONValue.string($0) }) }
    }

    public mutating func setText(_ key: String, _ text: String) {
        containerConfig[key] = .string(text)
    }
}
