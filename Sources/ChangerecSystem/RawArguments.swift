import CChangerecLinux

/// The raw bytes of this process's arguments; `CommandLine.arguments` repairs names that are not UTF-8.
///
/// They come from the C shim, which keeps the `argv` glibc hands to program constructors: Swift's
/// `CommandLine` reads `/proc/self/cmdline` on Linux and is empty where `/proc` is not mounted (a fresh
/// chroot, a minimal container). `CommandLine` is the fallback should no constructor have run.
public enum RawArguments {
    public static func all() -> [[UInt8]] {
        var count: Int32 = 0
        if let vector = cchangerec_arguments(&count), count > 0 {
            return (0..<Int(count)).map { bytes(of: vector[$0]) }
        }
        return (0..<Int(CommandLine.argc)).map { bytes(of: CommandLine.unsafeArgv[$0]) }
    }

    /// The arguments as strings, with bytes that are not UTF-8 repaired as `CommandLine.arguments` does.
    public static func strings() -> [String] {
        all().map { String(decoding: $0, as: UTF8.self) }
    }

    private static func bytes(of pointer: UnsafeMutablePointer<CChar>?) -> [UInt8] {
        guard let pointer else { return [] }
        return Array(
            UnsafeBufferPointer(
                start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
    }
}
