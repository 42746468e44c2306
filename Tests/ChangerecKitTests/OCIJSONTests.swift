import FoundationEssentials
import Testing

@testable import ChangerecKit

/// The OCI layout's JSON: typed, with what changerec does not name carried over, and written in the
/// bytes `JSONSerialization` wrote before, on which the config and manifest digests depend.
@Suite("OCI layout JSON: typed, carried over, byte for byte")
struct OCIJSONTests {
    /// An image config another tool wrote, with a layer then added by changerec through
    /// `JSONSerialization` (`[.sortedKeys, .withoutEscapingSlashes]`): the bytes a layout holds today.
    static let config =
        #"{"architecture":"amd64","author":"Jöhn \"Q\" <j@x>","big":12345678901234567890,"config":{"Cmd":["/bin/sh","-c","echo é/\t"],"Env":["PATH=/usr/local/sbin:/usr/bin","LANG=C.UTF-8"],"ExposedPorts":{"80/tcp":{}},"Labels":{"a_b":"1","a9":1,"a10":2.5,"aB":"2","maintainer":"me","org.opencontainers.image.version":"1.2","Zeta":true,"zeta2":null},"StopSignal":"SIGTERM","User":"1000:1000","WorkingDir":"/"},"created":"2026-12-03T17:42:11.286135354Z","float":0.1,"history":[{"comment":"buildkit","created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in / "},{"created":"2024-01-01T00:00:01Z","created_by":"CMD [\"/bin/sh\"]","empty_layer":true},{"comment":"recorded by changerec","created":"2026-12-03T17:42:11.286135354Z","created_by":"/bin/sh -c echo more >> a; echo z > sub/g; rm link"}],"number":1000,"os":"linux","os.features":["x"],"rootfs":{"diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111","sha256:da5e3a5750f52844ddc7061b798937a5083ea3d12bcfc5781412a14c9b8682ab"],"type":"layers"},"variant":"v8"}"#

    /// An index with another tool's annotations, written the same way.
    static let index =
        #"{"annotations":{"Com.example/a":"2","com.example/z":"1"},"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"other"},"digest":"sha256:4dcdab4c238d696b512385f262636b0852eac2f30c9126083a2afb08af4365ad","mediaType":"application/vnd.oci.image.manifest.v1+json","size":402},{"annotations":{"org.opencontainers.image.ref.name":"latest"},"digest":"sha256:d4c49d60cc9aca7af0eed75e7726ea3e32d372ce1508ed82c670fd3937751ba4","mediaType":"application/vnd.oci.image.manifest.v1+json","size":579},{"annotations":{"org.opencontainers.image.ref.name":"brand-new"},"digest":"sha256:cae70a33a2cc36889a4b0da530999ac9466bce96cbf99adf8030d4031263de20","mediaType":"application/vnd.oci.image.manifest.v1+json","size":401}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}"#

    @Test("an image config and an index read and written again are the same bytes")
    func roundTrip() throws {
        let config = try JSONDecoder().decode(OCIImageConfig.self, from: Data(Self.config.utf8))
        #expect(String(decoding: try canonical(config), as: UTF8.self) == Self.config)
        let index = try JSONDecoder().decode(OCIIndex.self, from: Data(Self.index.utf8))
        #expect(String(decoding: try canonical(index), as: UTF8.self) == Self.index)
    }

    @Test("a layer added to another tool's config keeps the fields changerec does not name")
    func appendKeepsOthers() throws {
        var config = try JSONDecoder().decode(OCIImageConfig.self, from: Data(Self.config.utf8))
        config.append(
            diffID: "sha256:" + String(repeating: "2", count: 64),
            history: OCIHistory(created: "2030-01-01T00:00:00Z", createdBy: "make", comment: "recorded by changerec"))
        #expect(config.rootfs?.diffIDs?.count == 3)
        #expect(config.history?.count == 4)
        #expect(config.history?.dropFirst().first?.others["empty_layer"] == .bool(true))
        #expect(config.created == "2030-01-01T00:00:00Z")
        #expect(config.others["author"] == .string(#"Jöhn "Q" <j@x>"#))
        #expect(config.others["big"] == .unsigned(12_345_678_901_234_567_890))
        guard case .object(let inner)? = config.others["config"] else {
            Issue.record("the config's own config object was not carried over")
            return
        }
        #expect(inner["WorkingDir"] == .string("/"))
    }

    @Test("a field of an unexpected type is carried over as it was, not dropped")
    func mistypedFieldsStay() throws {
        let odd = #"{"digest":7,"mediaType":"m","size":"big"}"#
        let descriptor = try JSONDecoder().decode(OCIDescriptor.self, from: Data(odd.utf8))
        #expect(descriptor.digest == nil)
        #expect(descriptor.size == nil)
        #expect(String(decoding: try canonical(descriptor), as: UTF8.self) == odd)
    }

    @Test("ASCII keys sort as JSONSerialization sorted them: punctuation, numbers by value, letters by case")
    func keyOrder() {
        let sorted = [
            "9", "10", "a", "a_b", "a9", "a10", "aB", "arr", "b", "B", "big", "e", "f", "fl", "n", "neg", "ss", "t",
            "Z",
        ]
        #expect(sorted.reversed().sorted(by: JSONKeyOrder.precedes) == sorted)
        #expect(sorted.shuffled().sorted(by: JSONKeyOrder.precedes) == sorted)
    }

    @Test("strings are escaped as JSONSerialization escaped them, slashes and non-ASCII left as they are")
    func escaping() {
        let value = JSONValue.string("a/\u{7}\u{1F}\t\n\r\u{8}\u{C}\"\\é\u{7F}")
        #expect(String(decoding: value.canonicalBytes, as: UTF8.self) == #""a/\u0007\u001f\t\n\r\b\f\"\\é\#u{7F}""#)
    }

    @Test("numbers are written as JSONSerialization wrote them")
    func numbers() {
        let values: [(JSONValue, String)] = [
            (.number(3), "3"), (.number(0.1), "0.1"), (.number(1e15), "1000000000000000"), (.number(1e16), "1e+16"),
            (.number(2.5e-7), "2.5e-07"), (.number(1e300), "1e+300"), (.number(-0.0), "-0"),
            (.integer(-9_223_372_036_854_775_808), "-9223372036854775808"),
            (.unsigned(18_446_744_073_709_551_615), "18446744073709551615"),
        ]
        for (value, text) in values { #expect(String(decoding: value.canonicalBytes, as: UTF8.self) == text) }
    }

    private func canonical<T: Encodable>(_ value: T) throws -> [UInt8] {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)).canonicalBytes
    }
}
