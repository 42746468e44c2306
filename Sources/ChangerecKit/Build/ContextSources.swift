import ChangerecSystem
import SystemPackage

/// The sources of one COPY or ADD, found in the build context as Docker finds them: each written path
/// is cleaned as if the context were `/` (`..` never climbs above it; a leading `/` means the context's
/// top), and a component holding a wildcard (`*`, `?`, `[...]`) names every entry of its directory that
/// it matches (`fnmatch`, per component, so `*` never matches a `/`), in name order.
enum ContextSources {
    /// `path` cleaned lexically below a root: no empty, `.` or `..` components, and no leading `/`.
    static func cleaned(_ path: [UInt8]) -> [[UInt8]] {
        var components: [[UInt8]] = []
        for component in path.split(separator: 0x2F, omittingEmptySubsequences: true) {
            if component.elementsEqual([0x2E]) { continue }
            if component.elementsEqual([0x2E, 0x2E]) {
                _ = components.popLast()
                continue
            }
            components.append(Array(component))
        }
        return components
    }

    /// Every context path `source` names, as cleaned components (empty: the context itself).
    ///
    /// - Throws: a usage error naming `source` when nothing matches its wildcards, and the system error of
    ///   a directory that cannot be read on the way.
    static func expand(_ source: [UInt8], in context: FileDescriptor) throws(ChangerecError) -> [[[UInt8]]] {
        let components = cleaned(source)
        guard components.contains(where: PathPattern.hasWildcard) else { return [components] }
        var found: [[[UInt8]]] = [[]]
        for component in components {
            guard PathPattern.hasWildcard(component) else {
                found = found.map { $0 + [component] }
                continue
            }
            var next: [[[UInt8]]] = []
            for prefix in found {
                for name in try names(in: prefix, of: context) where PathPattern.matches(component, name) {
                    next.append(prefix + [name])
                }
            }
            found = next
        }
        guard !found.isEmpty else {
            throw ChangerecError(.usage, "source '\(printable(source))' matches nothing in the build context")
        }
        return found
    }

    /// The entry names of the context directory `components` lead to, sorted; none when it is missing or
    /// not a directory (a wildcard then matches nothing there).
    private static func names(in components: [[UInt8]], of context: FileDescriptor) throws(ChangerecError)
        -> [[UInt8]]
    {
        let path = Array(components.joined(separator: [0x2F]))
        do {
            let directory = try FileSystem.openInRoot(path, root: context, .readOnly, options: .directory)
            defer { FileSystem.close(directory) }
            return try DirectoryReader.entries(of: directory).map(\.name).sorted { $0.lexicographicallyPrecedes($1) }
        } catch let error where error == .noSuchFileOrDirectory || error == .notDirectory {
            return []
        } catch {
            throw ChangerecError.system("read the build context's directory", path: "/" + printable(path), error)
        }
    }

    /// How a message names one source found for `source`: as written, or the path a wildcard matched.
    static func shown(_ source: [UInt8], matched components: [[UInt8]]) -> String {
        guard cleaned(source).contains(where: PathPattern.hasWildcard) else { return printable(source) }
        return printable(Array(components.joined(separator: [0x2F])))
    }
}
