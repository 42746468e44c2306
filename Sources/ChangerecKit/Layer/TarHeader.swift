import ChangerecSystem

/// One tar entry's header: what a layer says of an object.
struct TarHeader {
    enum Kind: UInt8 {
        case regular = 0x30  // '0'
        case hardLink = 0x31  // '1'
        case symlink = 0x32  // '2'
        case characterDevice = 0x33  // '3'
        case blockDevice = 0x34  // '4'
        case directory = 0x35  // '5'
        case fifo = 0x36  // '6'
    }

    /// The entry name: relative, no leading `/`, directories ending in `/`.
    var name: [UInt8]
    var kind: Kind
    var mode: UInt32
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    var size: UInt64 = 0
    var mtimeSeconds: Int64 = 0
    var mtimeNanoseconds: UInt32 = 0
    var linkName: [UInt8] = []
    var deviceMajor: UInt32 = 0
    var deviceMinor: UInt32 = 0
    var xattrs: [(name: [UInt8], value: [UInt8])] = []
}
