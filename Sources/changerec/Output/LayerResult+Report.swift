import ChangerecKit

extension LayerResult {
    /// One line for each path written as it is now rather than as sealed, and each left out.
    var warnings: [String] {
        drift.map { "\($0.path) differs from the seal (\($0.reason)); written as it is now" }
            + skipped.map { "\($0) is a socket, which a tar layer cannot hold; left out" }
    }

    /// The digests, size and entries, one per line.
    var summaryText: String {
        "diff_id \(diffID)\ndigest  \(digest)\nsize    \(size)\nentries \(entries)\n"
    }

    /// The digests, sizes and where the layer went, as one JSON object.
    func json(output: String?, ociLayout: String?) -> JSONObject {
        var object = JSONObject()
        object.add("diff_id", diffID)
        object.add("digest", digest)
        object.add("size", size)
        object.add("uncompressed_size", uncompressedSize)
        object.add("media_type", mediaType)
        object.add("entries", entries)
        if let output { object.add("output", output) }
        if let ociLayout { object.add("oci_layout", ociLayout) }
        if let manifestDigest { object.add("manifest_digest", manifestDigest) }
        return object
    }
}
