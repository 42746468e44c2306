import ArgumentParser
import ChangerecKit
import ChangerecSystem

/// What `record` and `run` print when the step has ended, and the status they exit with.
struct StepReport {
    var quiet: Bool
    var json: Bool
    /// `--layer FILE`, for where the layer went.
    var layer: String?
    var layerArguments: LayerArguments

    /// Prints the change list (or JSON) and the layer, then exits with the step's status (see
    /// ``Record/exitStatus(_:gaps:)``): a layer that could not be written makes a success 125.
    func finish(_ outcome: RecordOutcome) throws -> Never {
        // With nothing to print the journal is not read back: the recorder knows its gaps.
        let changeSet = quiet ? nil : try ChangeSet.load(journal: outcome.journal)

        if let changeSet {
            if json {
                var object = changeSet.json
                if let layer = outcome.layer { object.add("layer", layerJSON(layer)) }
                StandardStreams.writeError(object.text + "\n")
            } else {
                var text = changeSet.textLines.map { $0 + "\n" }.joined()
                for warning in changeSet.warnings { text += "changerec: warning: \(warning)\n" }
                text += "changerec: \(changeSet.summaryLine)\n"
                if case .success(let written)? = outcome.layer { text += layerText(written) }
                StandardStreams.writeError(text)
            }
        }
        var status = Record.exitStatus(outcome.termination, gaps: changeSet?.gaps ?? outcome.gaps)
        if case .failure(let error)? = outcome.layer {
            // Said even with --quiet: it is why the exit status is not the command's.
            StandardStreams.writeError("changerec: \(error.message)\n")
            if status == 0 { status = 125 }
        }
        throw ExitCode(status)
    }

    /// Where the layer went and its digests, after the change list.
    private func layerText(_ result: LayerResult) -> String {
        var text = result.warnings.map { "changerec: warning: \($0)\n" }.joined()
        let places = [
            layer.map { "'\($0)'" },
            layerArguments.ociLayout.map { "OCI layout '\($0)' (tag \(layerArguments.imageTag))" },
        ]
        .compactMap { $0 }.joined(separator: " and ")
        text +=
            "changerec: layer written to \(places): \(result.entries) entries, \(result.size) bytes, digest \(result.digest), diff_id \(result.diffID)\n"
        return text
    }

    private func layerJSON(_ outcome: Result<LayerResult, ChangerecError>) -> JSONObject {
        switch outcome {
        case .success(let result): return result.json(output: layer, ociLayout: layerArguments.ociLayout)
        case .failure(let error):
            var object = JSONObject()
            object.add("error", error.message)
            return object
        }
    }
}
