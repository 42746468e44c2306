/// Paths inside the image as WORKDIR and COPY's destination give them.
enum ContainerDirectory {
    /// `directory` made absolute against `base` and normalised (`.`, `..`, repeated '/'), never above '/'.
    static func join(_ base: String, _ directory: String) -> String {
        let full = directory.hasPrefix("/") ? directory : base + "/" + directory
        var parts: [Substring] = []
        for part in full.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
