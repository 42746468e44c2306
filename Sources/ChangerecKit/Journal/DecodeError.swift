/// Why a payload did not decode.
struct DecodeError: Error {
    var reason: String
}
