/// One `KEY=VALUE` of ENV or LABEL.
///
/// As parsed, key and value are the words as written, quotes and escapes included (`"v 2"`, `a\ b`);
/// `BuildInstruction.expanded(with:)` removes them and substitutes variables in one pass, as Docker does.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
