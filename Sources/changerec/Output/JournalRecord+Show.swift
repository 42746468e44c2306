import ChangerecKit
import ChangerecSystem

/// `show`'s renderings of one journal record: a line of text, or one JSON object per line.
extension JournalRecord {
    /// - Parameter processes: names of the processes seen so far, from the journal's process records.
    func textLine(processes: [Int32: JournalProcess]) -> String {
        switch self {
        case .process(let process):
            return "process  \(process.pid) \(process.name) (\(process.isStep ? "step" : "foreign"))"
        case .header(let header):
            let argv = ShellWord.commandLine(header.argv)
            return """
                root     \(RelativePath.escaped(header.root))\(header.rootIdentity.map { " (\($0))" } ?? "")
                backend  \(header.backend) (\(header.backendReason))
                command  \(argv)
                started  \(Timestamp.iso8601(nanoseconds: header.startNanoseconds)) on \(header.host), recorder pid \(header.recorderPID)
                """
        case .event(let event):
            var line =
                "\(pad(String(event.sequence), 7)) \(seconds(event.time)) \(event.operation.name.padding(8)) \(event.path)"
            if let second = event.path2 { line += " => \(second)" }
            if let target = event.symlinkTarget { line += " -> " + RelativePath.escaped(target) }
            var flags: [String] = []
            if event.isDirectory { flags.append("dir") }
            if event.isSynthesized { flags.append("scan") }
            if event.pid != 0 {
                flags.append(processes[event.pid].map { "pid \(event.pid) \($0.name)" } ?? "pid \(event.pid)")
            }
            if event.isForeign { flags.append("foreign") }
            if !flags.isEmpty { line += "  [" + flags.joined(separator: ", ") + "]" }
            return line
        case .note(let note):
            return "   note \(seconds(note.time)) \(note.kind.name): \(note.message)"
        case .exit(let exit):
            let how: String
            switch exit.termination {
            case .exited(let code): how = "exit status \(code)"
            case .signaled(let signal): how = "killed by signal \(signal)"
            }
            var line =
                "exit     \(how) after \(seconds(exit.time).trimmingLeadingSpaces)s; \(exit.kernelEvents) kernel events, \(exit.writtenEvents) written"
            if exit.overflowed { line += "; queue overflowed" }
            if exit.waited { line += "; waited for descendants" }
            if !exit.stragglers.isEmpty {
                line += "; still running: " + exit.stragglers.map { "\($0.pid) \($0.name)" }.joined(separator: ", ")
            }
            return line
        case .seal(let entry):
            var line = "seal     \(entry.path) before=\(entry.before?.name ?? "none")"
            if let failure = entry.unreadable {
                return line + " after=unreadable (cannot \(failure.operation): \(failure.errno))"
            }
            guard let after = entry.after else { return line + " after=gone" }
            line +=
                " after=\(after.type.name) mode=\(OctalMode.string(after.permissions)) uid=\(after.uid) gid=\(after.gid)"
            if after.type == .regular { line += " size=\(after.size)" }
            line += " mtime=\(after.mtimeSeconds).\(pad(String(after.mtimeNanoseconds), 9, "0"))"
            if let target = after.symlinkTarget { line += " target=" + RelativePath.escaped(target) }
            if let digest = after.contentDigest { line += " sha256=" + Hex.string(digest) }
            if let digest = after.xattrDigest { line += " xattrs=" + Hex.string(digest).prefix(16) }
            return line
        case .sealEnd(let end):
            return "sealed   \(end.sealCount) paths"
        }
    }

    var json: JSONObject {
        var object = JSONObject()
        switch self {
        case .process(let process):
            object.add("record", "process")
            object.add("pid", process.pid)
            object.add("name", process.name)
            object.add("step", process.isStep)
        case .header(let header):
            object.add("record", "header")
            object.add("version", UInt32(header.version))
            object.add("root", bytes: header.root)
            object.add("backend", header.backend)
            object.add("backend_reason", header.backendReason)
            object.add(
                "argv",
                raw: "["
                    + header.argv.map { argument -> String in
                        String(validating: argument, as: UTF8.self).map(JSON.quote)
                            ?? "{\"b64\":\(JSON.quote(JSON.base64(argument)))}"
                    }.joined(separator: ",") + "]")
            object.add("start", Timestamp.iso8601(nanoseconds: header.startNanoseconds))
            object.add("host", header.host)
            object.add("recorder_pid", header.recorderPID)
            if let identity = header.rootIdentity {
                object.add("root_device", identity.device)
                object.add("root_inode", identity.inode)
            }
        case .event(let event):
            object.add("record", "event")
            object.add("seq", event.sequence)
            object.add("time_ns", event.time)
            object.add("op", event.operation.name)
            object.add("path", path: event.path)
            if let second = event.path2 { object.add("path2", path: second) }
            if let target = event.symlinkTarget { object.add("target", bytes: target) }
            object.add("dir", event.isDirectory)
            if event.isSynthesized { object.add("synthesized", true) }
            if event.pid != 0 { object.add("pid", event.pid) }
            if event.isForeign { object.add("foreign", true) }

        case .note(let note):
            object.add("record", "note")
            object.add("time_ns", note.time)
            object.add("kind", note.kind.name)
            if let path = note.path { object.add("path", path: path) }
            object.add("message", note.message)
        case .exit(let exit):
            object.add("record", "exit")
            object.add("time_ns", exit.time)
            switch exit.termination {
            case .exited(let code): object.add("exit_code", code)
            case .signaled(let signal): object.add("signal", signal)
            }
            object.add("kernel_events", exit.kernelEvents)
            object.add("written_events", exit.writtenEvents)
            object.add("overflow", exit.overflowed)
            object.add("waited", exit.waited)
            object.add("stragglers", exit.stragglers.map(\.json))
        case .seal(let entry):
            object.add("record", "seal")
            object.add("path", path: entry.path)
            object.add("before", entry.before?.name ?? "none")
            if let after = entry.after {
                object.add("after", after.type.name)
                object.add("mode", OctalMode.string(after.permissions))
                object.add("uid", after.uid)
                object.add("gid", after.gid)
                object.add("size", after.size)
                object.add("mtime_s", after.mtimeSeconds)
                object.add("mtime_ns", after.mtimeNanoseconds)
                object.add("inode", after.inode)
                object.add("links", after.linkCount)
                if after.rdev != 0 { object.add("rdev", after.rdev) }
                if let target = after.symlinkTarget { object.add("target", bytes: target) }
                if let digest = after.contentDigest { object.add("sha256", Hex.string(digest)) }
                if let digest = after.xattrDigest { object.add("xattrs_sha256", Hex.string(digest)) }
            } else if let failure = entry.unreadable {
                object.add("after", "unreadable")
                object.add("errno", failure.errno.rawValue)
                object.add("message", failure.message(for: entry.path))
            } else {
                object.add("after", "gone")
            }
        case .sealEnd(let end):
            object.add("record", "seal_end")
            object.add("seal_count", end.sealCount)
            object.add("frame_count", end.frameCount)
        }
        return object
    }
}

private func seconds(_ nanoseconds: UInt64) -> String {
    let whole = nanoseconds / 1_000_000_000
    let micros = (nanoseconds % 1_000_000_000) / 1000
    return pad(String(whole), 5) + "." + pad(String(micros), 6, "0")
}

private func pad(_ text: String, _ width: Int, _ fill: Character = " ") -> String {
    String(repeating: fill, count: max(0, width - text.count)) + text
}

extension String {
    fileprivate func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    fileprivate var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}
