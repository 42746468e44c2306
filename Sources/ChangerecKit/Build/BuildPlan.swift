import ChangerecSystem

/// A Containerfile worked out before anything runs: each instruction with its variables substituted and
/// the environment, working directory, user and shell a step of it runs with. Everything a build can
/// refuse without running a step — an unset `${VAR:?}`, a base image that cannot be opened, an ADD of
/// a local archive — is refused here.
public struct BuildPlan: Sendable {
    /// One instruction, ready to carry out.
    public struct Step: Sendable {
        public var instruction: BuildInstruction
        /// For RUN: the image's `Env` with the ARGs in scope that ENV does not set, as `K=V`.
        public var environment: [String]
        /// WORKDIR so far (absolute), or the base image's.
        public var workingDirectory: String
        /// USER so far, or the base image's; `nil` is root.
        public var user: String?
        /// SHELL so far, or the base image's, or `/bin/sh -c`.
        public var shell: [String]
    }

    /// The base image: `nil` for `scratch`.
    public var base: OCIImage?
    public var steps: [Step]
    /// `--build-arg`s no ARG declares (Docker warns of them too).
    public var unusedArguments: [String]

    /// - Parameter arguments: `--build-arg`s.
    /// - Parameter context: where ADD's sources are, to check the archives it extracts before anything runs.
    public init(_ containerfile: Containerfile, arguments: [String: String], context: [UInt8])
        throws(ChangerecError)
    {
        var scope = BuildScope(arguments: arguments)
        var steps: [Step] = []
        var base: OCIImage?
        for instruction in containerfile.instructions {
            let expanded = try instruction.expanded(with: scope.variables)
            switch expanded.operation {
            case .from(let image):
                base = try Self.openBase(image, file: instruction.file, line: instruction.line)
                scope.enterStage(config: base?.config.containerConfig ?? [:])
            case .arg(let name, let defaultValue):
                scope.declare(name, defaultValue: defaultValue)
            case .env(let pairs):
                for pair in pairs { scope.setEnvironment(pair.key, pair.value) }
            case .workdir(let directory):
                scope.workingDirectory = ContainerDirectory.join(scope.workingDirectory, directory)
            case .user(let user):
                scope.user = user
            case .shell(let shell):
                scope.shell = shell
            case .add(let copy):
                do {
                    try ContextCopy.checkArchives(
                        context: context, sources: copy.sources.map { Array($0.utf8) }, chown: copy.chown,
                        chmod: copy.chmod)
                } catch {
                    throw ChangerecError(
                        error.code, "\(instruction.file):\(instruction.line): \(error.message)", errno: error.errno)
                }
            default:
                break
            }
            steps.append(
                Step(
                    instruction: expanded, environment: scope.runEnvironment,
                    workingDirectory: scope.workingDirectory, user: scope.user, shell: scope.shell))
        }
        self.base = base
        self.steps = steps
        unusedArguments = arguments.keys.filter { !scope.declared.contains($0) }.sorted()
    }

    /// `scratch`, or `oci:LAYOUT[:TAG]` opened (its manifest and config read and checked).
    private static func openBase(_ image: String, file: String, line: Int) throws(ChangerecError) -> OCIImage? {
        if image == "scratch" { return nil }
        let reference = image.dropFirst("oci:".count)
        // `oci:LAYOUT:TAG`: the tag is after the last ':', which a path may hold too, so a last part with
        // a '/' is part of the path.
        var layout = String(reference)
        var tag: String?
        if let colon = reference.lastIndex(of: ":"), !reference[reference.index(after: colon)...].contains("/") {
            layout = String(reference[..<colon])
            tag = String(reference[reference.index(after: colon)...])
        }
        do {
            return try OCIImage.open(layout: layout, tag: tag)
        } catch {
            throw ChangerecError(error.code, "\(file):\(line): FROM \(image): \(error.message)", errno: error.errno)
        }
    }
}
