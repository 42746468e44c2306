import ChangerecSystem
import SystemPackage

/// Whiteouts and removals: what leaves the tree, and the state and open directories kept in step.
extension LayerApplication {
    /// `.wh.NAME`: removes `hidden` as the layers below left it.
    func whiteOut(_ hidden: RelativePath, _ entry: TarEntry) throws(ChangerecError) {
        guard let parentPath = hidden.parent else { return }
        do throws(Errno) {
            guard let parent = try directories.directory(parentPath, create: false),
                let real = parent.path.appending(hidden.name)
            else { return }
            let status: FileStatus
            do {
                status = try FileSystem.status(of: hidden.name, in: parent.descriptor)
            } catch .noSuchFileOrDirectory {
                return
            }
            try removeBelow(hidden.name, in: parent.descriptor, real: real, type: status.type)
        } catch {
            throw failure(entry, "cannot remove what it hides", error)
        }
    }

    /// `.wh..wh..opq`: empties `directoryPath` of what the layers below put there.
    func whiteOut(contentsOf directoryPath: RelativePath, _ entry: TarEntry) throws(ChangerecError) {
        do throws(Errno) {
            guard let directory = try directories.directory(directoryPath, create: false) else { return }
            for child in try DirectoryReader.entries(of: directory.descriptor) {
                guard let real = directory.path.appending(child.name) else { continue }
                try removeBelow(child.name, in: directory.descriptor, real: real, type: child.type)
            }
        } catch {
            throw failure(entry, "cannot empty the opaque directory", error)
        }
    }

    /// Removes what the layers below left at `real` (named `name` in `directory`): all of it when this
    /// layer made nothing there; else only, below it, what this layer did not make.
    func removeBelow(
        _ name: [UInt8], in directory: FileDescriptor, real: RelativePath, type: ChangerecSystem.FileType
    )
        throws(Errno)
    {
        if !made.contains(real) && !aboveMade.contains(real) {
            try removeAll(name, in: directory, type: type)
            removed(real, type: type)
            return
        }
        guard type == .directory else { return }  // this layer's own object
        let opened = try FileSystem.openBeneath(name, in: directory, .readOnly, options: .directory)
        defer { FileSystem.close(opened) }
        for child in try DirectoryReader.entries(of: opened) {
            guard let childReal = real.appending(child.name) else { continue }
            try removeBelow(child.name, in: opened, real: childReal, type: child.type)
        }
    }

    /// Removes `name` from `directory`, a directory with everything below it, never following a link.
    func removeAll(_ name: [UInt8], in directory: FileDescriptor, type: ChangerecSystem.FileType) throws(Errno) {
        guard type == .directory else {
            try FileSystem.unlink(name, in: directory)
            return
        }
        let opened = try FileSystem.openBeneath(name, in: directory, .readOnly, options: .directory)
        do {
            for child in try DirectoryReader.entries(of: opened) {
                try removeAll(child.name, in: opened, type: child.type)
            }
        } catch {
            FileSystem.close(opened)
            throw error
        }
        FileSystem.close(opened)
        try FileSystem.removeDirectory(name, in: directory)
    }

    /// Keeps the state and the open directories in step with a removal.
    func removed(_ real: RelativePath, type: ChangerecSystem.FileType) {
        state.removeSubtree(real)
        if type == .directory || type == .symlink { directories.forget(real) }
        if let parent = real.parent { changedDirectories.insert(parent) }
    }
}
