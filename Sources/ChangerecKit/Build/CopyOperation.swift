/// What COPY and ADD take: local sources relative to the build context, a destination in the image, and
/// the owner and mode the copies get.
///
/// As parsed these are the words as written; `BuildInstruction.expanded(with:)` substitutes variables.
public struct CopyOperation: Sendable, Equatable {
    /// One or more sources; never empty.
    public var sources: [String]
    /// Where they go; a trailing `/` makes it a directory, as in Docker.
    public var destination: String
    /// `--chown=USER[:GROUP]`, names or numbers, resolved against the image's own passwd and group files.
    public var chown: String?
    /// `--chmod=OCTAL`, e.g. `0755`.
    public var chmod: String?

    public init(sources: [String], destination: String, chown: String? = nil, chmod: String? = nil) {
        self.sources = sources
        self.destination = destination
        self.chown = chown
        self.chmod = chmod
    }
}
