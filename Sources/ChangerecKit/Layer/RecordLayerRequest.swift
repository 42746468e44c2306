/// `record --layer FILE [--oci-layout DIR --tag T]`: the layer a recording writes in the seal's own pass,
/// where it goes and how it is written.
public struct RecordLayerRequest: Sendable {
    /// `--layer FILE`: a file (replaced only by a whole layer), a fifo or a character device; never
    /// standard output, which belongs to the command.
    public var output: String?
    /// `--oci-layout DIR`: an OCI image layout the layer is added to.
    public var ociLayout: String?
    /// The image tag in the layout to append to.
    public var tag = "latest"
    /// The history's `created_by` for the layer (`run --created-by`, a Containerfile instruction); `nil`
    /// is the command line, shell-quoted.
    public var createdBy: String?
    /// Every path's state before the step, when it is known (a build knows it from the base image and
    /// the earlier steps' seals): paths the step left in that state are left out of the layer.
    public var stateBefore: TreeState?
    /// Compression and times (the drift check stays strict: the tree is read in the same pass).
    public var options = LayerOptions()

    public init() {}
}
