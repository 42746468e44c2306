import ArgumentParser
import ChangerecSystem

/// What the shells offer for an argument that names a journal: the `*.journal` files and the
/// directories where the word being completed points, and, for a word without a `/`, the journals in
/// `./.changerec/` too, where `record` puts them.
enum JournalCompletion {
    static let kind = CompletionKind.custom { _, _, prefix in candidates(for: prefix) }

    static func candidates(for prefix: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let directory = slash.map { String(prefix[...$0]) } ?? ""
        var result = entries(in: directory)
        if slash == nil { result += entries(in: ".changerec/").filter { !$0.hasSuffix("/") } }
        return result.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// `directory` + each `*.journal` file and each subdirectory (with a `/`) in it; nothing when it
    /// cannot be read.
    private static func entries(in directory: String) -> [String] {
        guard
            let descriptor = try? FileSystem.open(
                Array((directory.isEmpty ? "." : directory).utf8), .readOnly, options: .directory)
        else { return [] }
        defer { FileSystem.close(descriptor) }
        let entries = (try? DirectoryReader.entries(of: descriptor)) ?? []
        return entries.compactMap { entry in
            let name = String(decoding: entry.name, as: UTF8.self)
            guard name != ".", name != ".." else { return nil }
            switch entry.type {
            case .directory: return directory + name + "/"
            case .regular where name.hasSuffix(".journal"): return directory + name
            default: return nil
            }
        }
    }
}
