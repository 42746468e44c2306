import ChangerecSystem

/// A problem found in a Containerfile, before it has a file and line: what is wrong and, where there is
/// something to do about it, what to do.
///
/// The parser throws these from code that only sees one instruction; `Containerfile.parse` and
/// `BuildInstruction.expanded(with:)` add the place and make the one-line `ChangerecError` the user reads.
struct BuildProblem: Error, Equatable {
    var what: String
    var todo: String?

    init(_ what: String, _ todo: String? = nil) {
        self.what = what
        self.todo = todo
    }

    /// `FILE:LINE: WHAT — TODO`, as a usage error: the build never started.
    func located(file: String, line: Int) -> ChangerecError {
        let advice = todo.map { " — \($0)" } ?? ""
        return ChangerecError(.usage, "\(file):\(line): \(what)\(advice)")
    }
}
