import Glibc
import SystemPackage

extension FileSystem {
    /// The offset of the first byte at or after `offset` that is not in a hole, or `nil` when only holes
    /// (or nothing) follow it: the zeros of a sparse file are known without reading them.
    ///
    /// A file system that does not track holes reports `offset` itself (all data), as does a kernel
    /// without `SEEK_DATA` (EINVAL). The corresponding C function is `lseek` with `SEEK_DATA`.
    /// `SEEK_DATA` (Linux 3.1): glibc declares it only under `_GNU_SOURCE`, which the Glibc module lacks.
    static let seekData: Int32 = 3

    public static func nextData(in descriptor: FileDescriptor, from offset: Int64) throws(Errno) -> Int64? {
        switch valueOrErrno("lseek", { lseek(descriptor.rawValue, off_t(offset), seekData) }) {
        case .success(let position): return Int64(position)
        case .failure(.noSuchAddressOrDevice): return nil
        case .failure(.invalidArgument): return offset
        case .failure(let error): throw error
        }
    }
}
