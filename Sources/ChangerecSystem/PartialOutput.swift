import CChangerecLinux

/// A file to remove if the process is interrupted before it is done with it: a partial output must not
/// outlive a SIGINT, SIGTERM or SIGHUP. The corresponding C functions are `signal` and `unlink`.
public enum PartialOutput {
    public static func removeOnSignal(_ path: String) {
        cchangerec_remove_on_signal(path)
    }

    public static func clear() {
        cchangerec_remove_on_signal_clear()
    }
}
