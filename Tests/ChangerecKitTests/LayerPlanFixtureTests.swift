import ChangerecKit
import ChangerecSystem
import ChangerecTestSupport
import Foundation
import Testing

/// Layer plans as data: each `Fixtures/plan/*.plan` file gives one or more steps' events and seals (in the
/// `ChangeSetFixture` format) and the plan the squash of their change sets must make, one item a line in
/// the order the layer writes them: `object PATH TYPE` (its sealed type, or `?` when no seal says it and
/// it is read from ROOT as it is), `opaque DIR` (the `.wh..wh..opq` marker inside DIR), `whiteout PATH`
/// (`.wh.NAME` for PATH), then `reserved PATH` for each name an OCI layer cannot hold.
@Suite("layer plan fixtures: seal entries in, ordered entries, whiteouts and opaque markers out")
struct LayerPlanFixtureTests {
    static let fixtures = ChangeSetFixture.names(in: "plan", suffix: ".plan")

    @Test("there are plan fixtures to run")
    func fixturesExist() {
        #expect(Self.fixtures.count >= 10)
    }

    @Test("the plan has the expected items in the expected order", arguments: fixtures)
    func fixture(_ name: String) throws {
        let parsed = try ChangeSetFixture.load("plan", name)
        let plan = LayerPlan(squashing: parsed.changeSets)
        #expect(plan.fixtureLines() == parsed.expected)
    }
}
