import ChangerecKit
import Testing

/// Containerfiles as data: each `Fixtures/containerfile/*.containerfile` gives a file and the instructions
/// parsing it must give (optionally expanded), or the one error line it must throw.
@Suite("Containerfile fixtures: a file in, its instructions or its one error out")
struct ContainerfileFixtureTests {
    @Test("there are Containerfile fixtures to run")
    func fixturesExist() {
        #expect(ContainerfileFixture.names.count >= 8)
    }

    @Test("the file parses to the expected instructions", arguments: ContainerfileFixture.names)
    func fixture(_ name: String) throws {
        let fixture = try ContainerfileFixture.load(name)
        let expected = fixture.error.map { [$0] } ?? fixture.expected
        #expect(!expected.isEmpty)
        #expect(fixture.outcome() == expected)
    }
}
