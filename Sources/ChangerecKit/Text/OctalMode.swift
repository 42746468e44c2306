/// Permission bits as people and `chmod` write them: a leading `0`, then octal (`0755`, `04755`).
public enum OctalMode {
    public static func string(_ permissions: UInt32) -> String {
        "0" + String(permissions, radix: 8)
    }
}
