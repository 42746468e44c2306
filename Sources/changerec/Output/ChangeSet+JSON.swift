import ChangerecKit
import ChangerecSystem

extension Change {
    var json: JSONObject {
        var object = JSONObject()
        object.add("kind", kind.rawValue)
        object.add("path", path: path)
        object.add("type", type.name)
        if let target = symlinkTarget { object.add("target", bytes: target) }
        if subtree { object.add("subtree", true) }
        if opaque { object.add("opaque", true) }
        if let origin = renamedFrom { object.add("renamed_from", path: origin) }
        if !pids.isEmpty { object.add("pids", raw: "[" + pids.map(String.init).joined(separator: ",") + "]") }
        if foreign { object.add("foreign", true) }
        if let unreadable { object.add("unreadable", "cannot \(unreadable.operation): \(unreadable.errno)") }
        if let after {
            object.add("mode", OctalMode.string(after.permissions))
            object.add("uid", after.uid)
            object.add("gid", after.gid)
            if after.type == .regular { object.add("size", after.size) }
            if let digest = after.contentDigest { object.add("sha256", Hex.string(digest)) }
        }
        return object
    }
}

extension ChangeSet {
    /// The whole change set as one JSON object; documented in docs/changes-json.md.
    var json: JSONObject {
        var object = JSONObject()
        object.add("journal", bytes: journalPath)
        object.add("root", bytes: header.root)
        object.add("backend", header.backend)
        object.add("complete", isComplete)
        object.add("overflow", overflowed)
        if let exit {
            switch exit.termination {
            case .exited(let code): object.add("exit_code", code)
            case .signaled(let signal): object.add("signal", signal)
            }
            object.add(
                "stragglers",
                exit.stragglers.map(\.json))
        }
        object.add("events", eventCount)
        object.add(
            "notes",
            notes.map { note in
                var entry = JSONObject()
                entry.add("kind", note.kind.name)
                if let path = note.path { entry.add("path", path: path) }
                entry.add("message", note.message)
                return entry
            })
        object.add(
            "unreadable",
            unreadable.map { entry in
                var item = JSONObject()
                item.add("path", path: entry.path)
                if let failure = entry.unreadable {
                    item.add("message", failure.message(for: entry.path))
                    item.add("errno", failure.errno.rawValue)
                }
                return item
            })
        object.add("changes", changes.map(\.json))
        return object
    }

    /// The same facts grouped by process: one entry per process with the changes its events named.
    var jsonByProcess: JSONObject {
        var object = json
        object.add(
            "processes",
            byProcess.map { group in
                var entry = JSONObject()
                entry.add("pid", group.pid)
                entry.add("name", group.name)
                entry.add("foreign", group.foreign)
                entry.add("changes", group.changes.map(\.json))
                return entry
            })
        return object
    }

}

extension JournalExit.Straggler {
    var json: JSONObject {
        var entry = JSONObject()
        entry.add("pid", pid)
        entry.add("name", name)
        return entry
    }
}
