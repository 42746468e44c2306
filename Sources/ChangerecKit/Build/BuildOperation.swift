/// What one Containerfile instruction asks for, its arguments split the way Docker splits them.
///
/// Words that Docker expands (see `BuildInstruction.expanded(with:)`) are kept as written until then,
/// quotes and escapes included, because quote removal and substitution are one pass: `'$HOME'` stays
/// literal, `"$HOME"` does not.
public enum BuildOperation: Sendable, Equatable {
    /// `scratch` or `oci:PATH[:TAG]`, as written; `FROM x AS name` keeps only `x`.
    case from(image: String)
    case run(CommandForm)
    case copy(CopyOperation)
    case add(CopyOperation)
    case env([KeyValue])
    case arg(name: String, defaultValue: String?)
    case workdir(String)
    case user(String)
    case cmd(CommandForm)
    case entrypoint(CommandForm)
    case label([KeyValue])
    /// `PORT[/PROTOCOL]` or `FIRST-LAST[/PROTOCOL]` each, protocol `tcp`, `udp` or `sctp`.
    case expose([String])
    /// Always written in exec form; the shell later shell-form RUN, CMD and ENTRYPOINT are run with.
    case shell([String])
    case stopSignal(String)
}
