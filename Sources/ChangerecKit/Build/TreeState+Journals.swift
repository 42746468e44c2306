import ChangerecSystem
import SystemPackage

extension TreeState {
    /// What `run` knows of an image's tree before it appends a layer: the state each path has in the image
    /// `tag` names in `layout`, folded from the seals of the journals its layers came from (their manifest
    /// annotation names them), found among `ROOT/.changerec/*.journal` of this ROOT.
    ///
    /// Only an unbroken run of such layers at the top of the image counts: a layer below them whose
    /// journal is not here (a base image from elsewhere, a journal moved away) leaves the paths it holds
    /// unknown, which is safe (a path not held is never taken for unchanged), while one above them would
    /// make what they say stale, so the layers under it are not used.
    ///
    /// - Returns: `nil` when the layout has no such image or its top layer came from no journal here.
    public static func recorded(layout: String, tag: String, root: [UInt8]) throws(ChangerecError) -> TreeState? {
        guard (try? FileSystem.status(of: Array(layout.utf8), in: .currentWorkingDirectory))?.type == .directory,
            let (manifest, _) = try OCILayout(path: layout).image(tag: tag)
        else { return nil }
        let journals = journalsByIdentity(root: root)
        var covered: [[[UInt8]]] = []
        for layer in (manifest.layers ?? []).reversed() {
            guard case .string(let list)? = layer.annotations?[LayerHistory.journalsAnnotation] else { break }
            let paths = list.split(separator: ",").map { journals[String($0)] }
            guard paths.allSatisfy({ $0 != nil }) else { break }
            covered.append(paths.compactMap { $0 })
        }
        guard !covered.isEmpty else { return nil }
        var state = TreeState()
        for layer in covered.reversed() {
            for journal in layer { state.advance(over: try ChangeSet.load(journal: journal)) }
        }
        return state
    }

    /// The journals in `ROOT/.changerec/` recorded with this ROOT, by ``LayerHistory/journalIdentity(_:)``.
    /// One that cannot be read is left out: its layer then counts as not known.
    private static func journalsByIdentity(root: [UInt8]) -> [String: [UInt8]] {
        let directory = root + [0x2F] + JournalLocation.directoryName
        guard
            let descriptor = try? FileSystem.open(
                directory, relativeTo: .currentWorkingDirectory, .readOnly, options: [.directory, .noFollow])
        else { return [:] }
        defer { FileSystem.close(descriptor) }
        var found: [String: [UInt8]] = [:]
        for entry in (try? DirectoryReader.entries(of: descriptor)) ?? [] where entry.type == .regular {
            guard printable(entry.name).hasSuffix(".journal") else { continue }
            let path = directory + [0x2F] + entry.name
            guard let reader = try? JournalReader(path: path), case .header(let header)? = try? reader.next(),
                header.root == root
            else { continue }
            found[LayerHistory.journalIdentity(header)] = path
        }
        return found
    }
}
