import FoundationEssentials

/// An OCI layout's `oci-layout` file: the layout version.
public struct OCILayoutMarker: Codable, Equatable, Sendable {
    public var imageLayoutVersion: String?

    /// The version changerec writes and reads.
    public static let current = OCILayoutMarker(imageLayoutVersion: "1.0.0")

    public init(imageLayoutVersion: String?) {
        self.imageLayoutVersion = imageLayoutVersion
    }
}
