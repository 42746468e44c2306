/// What a layer is asked for: the journals it squashes, the tree it reads, where it goes and how it is
/// written. Parsed from `changerec layer`'s arguments; ``LayerJob`` carries it out.
public struct LayerRequest: Sendable {
    /// The journals, in step order; at least one.
    public var journals: [[UInt8]]
    /// `--root DIR`: the tree to read instead of the ROOT the journals name.
    public var root: [UInt8]?
    /// `-o FILE`: a file (replaced only by a whole layer), `-`, a fifo or a character device.
    public var output: String?
    /// `--oci-layout DIR`: an OCI image layout the layer is added to.
    public var ociLayout: String?
    /// The image tag in the layout to append to.
    public var tag = "latest"
    /// Accept journals cut short (no seal) or naming unreadable paths.
    public var force = false
    /// Compression, times, drift and progress.
    public var options = LayerOptions()

    /// - Parameter journals: in step order; at least one.
    public init(journals: [[UInt8]]) {
        self.journals = journals
    }
}
