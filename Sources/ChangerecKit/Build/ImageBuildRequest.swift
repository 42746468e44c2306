/// `changerec build`: a Containerfile, its context, and where the image goes.
public struct ImageBuildRequest: Sendable {
    public var containerfile: Containerfile
    /// The build context (COPY and ADD sources are beneath it), a path as given.
    public var context: [UInt8]
    /// `--build-arg K=V`: overrides ARG defaults; an ARG without a default takes it from here.
    public var buildArguments: [String: String] = [:]
    /// The OCI image layout the image is written to, and its tag there.
    public var layout: String
    public var tag: String
    /// The root file system the steps run in: an empty or absent directory, left as the image's tree.
    public var rootfs: [UInt8]
    public var backend: BackendChoice = .auto
    public var layerOptions = LayerOptions()
    /// The command that copies for COPY and ADD (changerec's hidden `copy-into`), which is recorded as a
    /// step like every RUN: the program and the arguments before its own.
    public var copyCommand: [[UInt8]]
    /// Called with what a person following the build wants to see: each `STEP n/N:` line and the layer
    /// each step made; and, beginning `changerec: `, warnings and notes (a build argument no ARG uses, a
    /// host file a step does not see), which belong on standard error.
    public var announce: @Sendable (String) -> Void

    public init(
        containerfile: Containerfile, context: [UInt8], layout: String, tag: String, rootfs: [UInt8],
        copyCommand: [[UInt8]], announce: @escaping @Sendable (String) -> Void
    ) {
        self.containerfile = containerfile
        self.context = context
        self.layout = layout
        self.tag = tag
        self.rootfs = rootfs
        self.copyCommand = copyCommand
        self.announce = announce
    }
}
