/// How RUN, CMD, ENTRYPOINT and SHELL give their command.
public enum CommandForm: Sendable, Equatable {
    /// The arguments as written, for the image's shell to read (`RUN apt-get update && ...`); continuation
    /// lines are already joined.
    case shell(String)
    /// A JSON array of strings, run as it is without a shell (`CMD ["nginx", "-g", "daemon off;"]`).
    case exec([String])
}
