import Glibc

/// Calendar time for output, without Foundation.
public enum Timestamp {
    /// `2026-11-29T04:30:00.123456789Z` for nanoseconds since the Unix epoch.
    public static func iso8601(nanoseconds: Int64) -> String {
        // Floor division that cannot overflow, whatever a journal's header says.
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let fractionDigits = String(fraction)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - fractionDigits.count) + fractionDigits + "Z"
    }
}
