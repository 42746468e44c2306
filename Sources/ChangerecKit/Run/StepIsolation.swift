/// What `changerec run` asks beyond a recording: the step runs chrooted into ROOT (its root file
/// system) in a private mount namespace, with `/proc`, a minimal `/dev`, a read-only `/sys`, the host's
/// resolv.conf and hosts, and the given bind mounts. None of that is recorded or left behind.
public struct StepIsolation: Sendable {
    /// The working directory inside the root file system, absolute; made (and recorded) when missing.
    public var workingDirectory: [UInt8] = [0x2F]
    /// `K=V` entries; the step gets these and nothing of changerec's own environment, with `PATH` and
    /// `HOME` supplied when they are not given.
    public var environment: [[UInt8]] = []
    /// `USER[:GROUP]`, names or numbers, resolved in the root file system's `/etc/passwd` and
    /// `/etc/group`; `nil` is root.
    public var user: String?
    public var mounts: [BindMount] = []

    public init() {}

    /// The `PATH` a step gets when none is given: the one container runtimes use.
    public static let defaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
