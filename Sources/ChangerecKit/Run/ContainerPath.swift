/// Paths as a step sees them inside its root file system.
enum ContainerPath {
    /// `/a/./b/` as `a/b`, relative to the root file system; `nil` when it holds `..` (which would have
    /// to be resolved against the tree) or a NUL.
    static func relative(_ path: [UInt8]) -> RelativePath? {
        let components = path.split(separator: 0x2F).filter { $0 != [0x2E] }
        if components.contains(where: { $0.elementsEqual([0x2E, 0x2E]) }) { return nil }
        return RelativePath(Array(components.joined(separator: [0x2F])))
    }
}
