import ChangerecSystem
import SystemPackage

/// What one layer write carries from entry to entry.
struct LayerWriteState {
    let tar: TarWriter
    let options: LayerOptions
    var entries = 0
    var drift: [Drift] = []
    var skipped: [RelativePath] = []
    var links: [FileIdentity: RelativePath] = [:]
    var contentReads: [RelativePath: ContentRead] = [:]
    private let cursor: ParentCursor
    private var lastProgress = Host.monotonicNanoseconds()

    init(tar: TarWriter, options: LayerOptions, root: FileDescriptor) {
        self.tar = tar
        self.options = options
        cursor = ParentCursor(root: root)
    }

    /// Where the parent directory of `path` stands: open, or gone (with the drift reason).
    enum Parent {
        case open(FileDescriptor)
        case gone(String)
    }

    /// The open parent directory of `path`, reached beneath ROOT without following any symbolic link, or
    /// why no such directory exists beneath ROOT any more.
    ///
    /// - Throws: a system error naming the directory for any failure but "no such path beneath ROOT".
    func parent(of path: RelativePath, rootPath: [UInt8]) throws(ChangerecError) -> Parent {
        switch cursor.directory(holding: path) {
        case .success(let directory):
            return .open(directory)
        case .failure(.noSuchFileOrDirectory):
            return .gone("gone")
        case .failure(let error) where error.meansNoSuchPathBeneath:
            // ENOTDIR or ELOOP: what the seal saw as a directory is now a file or a symbolic link.
            return .gone(
                "gone: a directory on its way is now a symbolic link or not a directory; nothing was read through it")
        case .failure(let error):
            throw ChangerecError.system("open", path: printable(rootPath) + (path.parent ?? .root).description, error)
        }
    }

    /// Records drift, adding to the path's entry when it already has one (metadata, then content).
    mutating func addDrift(_ path: RelativePath, _ reason: String) {
        if let last = drift.last, last.path == path {
            drift[drift.count - 1].reason += ", " + reason
        } else {
            drift.append(Drift(path: path, reason: reason))
        }
    }

    mutating func reportProgress(_ sink: BlobSink) {
        guard let progress = options.progress else { return }
        let now = Host.monotonicNanoseconds()
        if now - lastProgress > 250_000_000 {
            lastProgress = now
            progress(entries, sink.uncompressedSize)
        }
    }
}
