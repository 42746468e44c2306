/// The checks on argument values: at parse time for words without `$`, again after expansion for all.
enum BuildValueChecks {
    /// `scratch` or `oci:PATH[:TAG]`; changerec reads no registry.
    static func baseImage(_ image: String) throws(BuildProblem) {
        if image == "scratch" { return }
        if image.hasPrefix("oci:") {
            guard image.count > 4, !image.hasPrefix("oci::") else {
                throw BuildProblem("FROM \(image) names no layout", "write FROM oci:PATH or FROM oci:PATH:TAG")
            }
            return
        }
        let reference = image.hasPrefix("docker://") ? String(image.dropFirst(9)) : image
        let layout = reference.split(separator: "/").last.map { $0.split(separator: ":").first ?? $0 } ?? "base"
        throw BuildProblem(
            "FROM \(image): changerec builds from scratch or an OCI image layout",
            "copy the image first (skopeo copy docker://\(reference) oci:\(layout):latest) and write "
                + "FROM oci:\(layout):latest")
    }

    /// COPY and ADD take files from the build context; a URL or a git repository is refused.
    static func localSource(_ source: String, keyword: String) throws(BuildProblem) {
        let lower = source.lowercased()
        let isURL = ["http://", "https://", "ftp://"].contains { lower.hasPrefix($0) }
        let isGit =
            ["git://", "git@", "ssh://"].contains { lower.hasPrefix($0) }
            || lower.hasSuffix(".git") || lower.contains(".git#")
        guard isURL || isGit else { return }
        if isGit {
            throw BuildProblem(
                "\(keyword) of a git repository (\(source)) is not supported",
                "clone it into the build context first, or RUN git clone in the image")
        }
        throw BuildProblem(
            "\(keyword) of a URL (\(source)) is not supported",
            "download it in a step (RUN curl -fsSLo DEST URL), or into the build context first")
    }

    /// `--chmod`: an octal mode as `copy-into` will read it (``OctalMode/permissions(parsing:)``).
    static func mode(_ mode: String, keyword: String) throws(BuildProblem) {
        guard OctalMode.permissions(parsing: mode) != nil else {
            throw BuildProblem(
                "\(keyword) --chmod=\(mode) is not an octal mode", "write the mode in octal, e.g. --chmod=0755")
        }
    }

    /// EXPOSE: `PORT` or `FIRST-LAST`, 1 to 65535, then optionally `/tcp`, `/udp` or `/sctp`.
    static func port(_ port: String) throws(BuildProblem) {
        let parts = port.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let range = parts[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let numbers = range.compactMap { $0.allSatisfy(\.isASCII) ? UInt16($0) : nil }
        let protocolOK = parts.count == 1 || ["tcp", "udp", "sctp"].contains(parts[1].lowercased())
        guard numbers.count == range.count, numbers.allSatisfy({ $0 > 0 }), numbers.first ?? 0 <= numbers.last ?? 0,
            protocolOK
        else {
            throw BuildProblem(
                "EXPOSE \(port) is not a port", "write PORT or FIRST-LAST, optionally /tcp, /udp or /sctp (e.g. 53/udp)"
            )
        }
    }

    /// STOPSIGNAL: a number from 1 to 64, or a name with or without `SIG`, such as `SIGTERM` or `RTMIN+3`.
    static func signal(_ signal: String) throws(BuildProblem) {
        if let number = Int(signal), (1...64).contains(number) { return }
        let name = signal.uppercased().hasPrefix("SIG") ? String(signal.uppercased().dropFirst(3)) : signal.uppercased()
        if signalNames.contains(name) { return }
        for base in ["RTMIN+", "RTMAX-"] where name.hasPrefix(base) {
            if let offset = Int(name.dropFirst(base.count)), (1...15).contains(offset) { return }
        }
        throw BuildProblem(
            "STOPSIGNAL \(signal) is not a signal", "write a name such as SIGTERM or a number such as 15")
    }

    static let signalNames: Set<String> = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
        "PROF", "WINCH", "IO", "POLL", "PWR", "SYS", "RTMIN", "RTMAX",
    ]
}
