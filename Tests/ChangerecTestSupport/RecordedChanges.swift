import Foundation

/// One entry of `changerec changes --json`, as the tests read it.
public struct RecordedChange: Sendable, CustomStringConvertible {
    public var kind: String
    /// Bytes below ROOT, without the leading `/`.
    public var path: [UInt8]
    public var type: String
    public var target: [UInt8]?
    public var subtree: Bool
    public var opaque: Bool
    public var renamedFrom: String?
    /// Why the seal could not read this path after the step, when it could not.
    public var unreadable: String?

    public var description: String {
        "\(kind) /\(String(decoding: path, as: UTF8.self))\(subtree ? " (subtree)" : "")\(opaque ? " (opaque)" : "")"
    }
}

/// The parsed output of `changerec changes --json`.
public struct RecordedChanges: Sendable {
    public var changes: [RecordedChange]
    public var backend: String
    public var complete: Bool
    public var overflow: Bool
    public var events: Int
    public var notes: [String]
    public var stragglers: [String]
    /// Paths the seal could not read after the step (`unreadable`), without the leading `/`.
    public var unreadable: [[UInt8]]

    public init(json data: Data) throws {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("changes --json did not print an object")
        }
        backend = object["backend"] as? String ?? ""
        complete = object["complete"] as? Bool ?? false
        overflow = object["overflow"] as? Bool ?? false
        events = object["events"] as? Int ?? -1
        notes = (object["notes"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        stragglers = (object["stragglers"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        unreadable = try (object["unreadable"] as? [[String: Any]] ?? []).map {
            try Self.bytes($0, "path", dropSlash: true)
        }
        changes = try (object["changes"] as? [[String: Any]] ?? []).map { entry in
            RecordedChange(
                kind: entry["kind"] as? String ?? "?", path: try Self.bytes(entry, "path", dropSlash: true),
                type: entry["type"] as? String ?? "?",
                target: entry["target"] != nil || entry["target_b64"] != nil
                    ? try Self.bytes(entry, "target", dropSlash: false) : nil,
                subtree: entry["subtree"] as? Bool ?? false, opaque: entry["opaque"] as? Bool ?? false,
                renamedFrom: entry["renamed_from"] as? String, unreadable: entry["unreadable"] as? String)
        }
    }

    static func bytes(_ entry: [String: Any], _ key: String, dropSlash: Bool) throws -> [UInt8] {
        if let text = entry[key] as? String {
            let bytes = Array(text.utf8)
            return dropSlash ? Array(bytes.drop(while: { $0 == 0x2F })) : bytes
        }
        if let encoded = entry[key + "_b64"] as? String, let data = Data(base64Encoded: encoded) {
            return Array(data)
        }
        throw TestFailure("entry has neither \(key) nor \(key)_b64: \(entry)")
    }

    /// The entry for `path` (`a/b`, no leading slash).
    public func entry(_ path: String) -> RecordedChange? { entry(Array(path.utf8)) }
    public func entry(_ path: [UInt8]) -> RecordedChange? { changes.first { $0.path == path } }

    /// Every real difference that the change set fails to report, each with a reason: the oracle's verdict.
    public func missing(_ differences: [Difference]) -> [String] {
        var byPath: [[UInt8]: RecordedChange] = [:]
        for change in changes { byPath[change.path] = change }
        func ancestors(_ path: [UInt8]) -> [[UInt8]] {
            var result: [[UInt8]] = []
            var current = path
            while let slash = current.lastIndex(of: 0x2F) {
                current = Array(current[..<slash])
                result.append(current)
            }
            if !path.isEmpty { result.append([]) }
            return result
        }
        var problems: [String] = []
        for difference in differences {
            let above = ancestors(difference.path).compactMap { byPath[$0] }
            if above.contains(where: { $0.subtree }) { continue }
            let own = byPath[difference.path]
            switch difference.kind {
            case .added:
                if own?.kind != "A" {
                    problems.append("\(difference) is reported as \(own?.description ?? "nothing"), not A")
                }
            case .removed:
                if above.contains(where: { $0.kind == "D" || $0.opaque }) { continue }
                if own?.kind != "D" {
                    problems.append("\(difference) is reported as \(own?.description ?? "nothing"), not D")
                }
            case .changed:
                if own?.kind != "C" {
                    problems.append("\(difference) is reported as \(own?.description ?? "nothing"), not C")
                }
            }
        }
        return problems
    }
}
