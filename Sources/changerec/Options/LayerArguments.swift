import ArgumentParser
import ChangerecKit
import ChangerecSystem

/// How a layer is written and which image it joins: the options `layer` and `record --layer` share.
struct LayerArguments: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Compression: gzip (level 6, on every processor, pigz-style; the default), zstd (level 3, needs libzstd.so.1) or none.",
            valueName: "gzip|zstd|none"),
        completion: .list(["gzip", "zstd", "none"]))
    var compress: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Clamp every mtime, and the image's created times, to this time (seconds since the epoch; default: $SOURCE_DATE_EPOCH when set).",
            valueName: "seconds"))
    var sourceDateEpoch: Int64?

    @Option(
        name: .long,
        help: ArgumentHelp("Add the layer to this OCI image layout (created if missing).", valueName: "dir"),
        completion: .directory)
    var ociLayout: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The image tag in the layout to append to (default: latest).", valueName: "name"))
    var tag: String?

    /// Whether any of these options was given.
    var anyGiven: Bool { compress != nil || sourceDateEpoch != nil || ociLayout != nil || tag != nil }

    var imageTag: String { tag ?? "latest" }

    /// `--source-date-epoch`, else `SOURCE_DATE_EPOCH` from the environment, as reproducible builds
    /// define it (an empty value is unset); `nil` when neither is given. Both are checked by validate().
    var epoch: Int64? {
        sourceDateEpoch ?? Self.environmentEpoch.flatMap { Int64($0) }
    }

    private static var environmentEpoch: String? {
        guard let value = Host.environment("SOURCE_DATE_EPOCH"), !value.isEmpty else { return nil }
        return value
    }

    func validate() throws {
        if let sourceDateEpoch, sourceDateEpoch < 0 {
            throw ValidationError("--source-date-epoch \(sourceDateEpoch) is before 1970; give seconds since the epoch")
        }
        if sourceDateEpoch == nil, let value = Self.environmentEpoch, Int64(value).map({ $0 >= 0 }) != true {
            throw ValidationError(
                "SOURCE_DATE_EPOCH='\(value)' is not a number of seconds since the epoch; fix it or unset it")
        }
        if let compress, LayerCompression(rawValue: compress) == nil {
            throw ValidationError("unknown compression '\(compress)'; use gzip, zstd or none")
        }
        // The image spec's ref.name: letters, digits and a few separators.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/@+")
        guard !imageTag.isEmpty, imageTag.allSatisfy({ allowed.contains($0) }) else {
            throw ValidationError("tag '\(imageTag)' is not a valid image reference name (letters, digits and ._-:/@+)")
        }
    }

    /// The compression and times asked for, with a progress line on a terminal for large layers.
    var options: LayerOptions {
        var options = LayerOptions()
        // Invariant: validate() accepted only a LayerCompression's name.
        options.compression = compress.flatMap(LayerCompression.init(rawValue:)) ?? .gzip
        options.sourceDateEpoch = epoch
        if StandardStreams.errorIsTerminal {
            options.progress = { entries, bytes in
                if bytes >= 64 << 20 {
                    StandardStreams.writeError("\rchangerec: layer: \(entries) entries, \(bytes >> 20) MiB")
                }
            }
        }
        return options
    }
}
