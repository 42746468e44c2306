import ChangerecKit
import ChangerecSystem
import Testing

/// What a build works out before any step runs: Docker's scoping of ARG and ENV, WORKDIR, USER and
/// SHELL as each step sees them.
@Suite("build plan: variables, working directory, user and shell as each step sees them")
struct BuildPlanTests {
    func plan(_ text: String, arguments: [String: String] = [:]) throws -> BuildPlan {
        try BuildPlan(Containerfile.parse(text, file: "Containerfile"), arguments: arguments, context: Array("/".utf8))
    }

    @Test("an ARG before FROM is for FROM alone unless redeclared; --build-arg overrides a default")
    func argumentScopes() throws {
        let plan = try plan(
            """
            ARG BASE=scratch
            ARG GLOBAL=outer
            FROM $BASE
            ARG GLOBAL
            ARG VERSION=1.0
            ARG UNSET
            RUN echo
            ENV SEEN=${BASE:-none}/$GLOBAL/$VERSION
            """, arguments: ["VERSION": "2.0", "NOBODY": "x"])
        #expect(plan.base == nil)
        let env = try #require(plan.steps.last)
        guard case .env(let pairs) = env.instruction.operation else {
            Issue.record("not ENV: \(env.instruction.operation)")
            return
        }
        #expect(pairs == [KeyValue(key: "SEEN", value: "none/outer/2.0")])
        // ARGs with a value reach RUN's environment; one without a value does not.
        let run = plan.steps[6]
        #expect(run.environment == ["GLOBAL=outer", "VERSION=2.0"])
        #expect(plan.unusedArguments == ["NOBODY"])
    }

    @Test("ENV wins over an ARG of the same name, replaces in place, and reaches later expansions and RUN")
    func environmentOverArguments() throws {
        let plan = try plan(
            """
            FROM scratch
            ARG MODE=debug
            ENV MODE=release PATH=/bin
            ENV PATH=/usr/bin:$PATH
            RUN true
            LABEL mode=$MODE
            """)
        #expect(plan.steps[4].environment == ["MODE=release", "PATH=/usr/bin:/bin"])
        guard case .label(let pairs) = plan.steps[5].instruction.operation else {
            Issue.record("not LABEL")
            return
        }
        #expect(pairs == [KeyValue(key: "mode", value: "release")])
    }

    @Test("a relative WORKDIR joins the one before it; USER and SHELL apply from their line on")
    func workdirUserShell() throws {
        let plan = try plan(
            """
            FROM scratch
            RUN one
            WORKDIR /srv
            WORKDIR app/../web/.
            USER builder:staff
            SHELL ["/bin/bash", "-euc"]
            RUN two
            """)
        #expect(plan.steps[1].workingDirectory == "/")
        #expect(plan.steps[1].user == nil)
        #expect(plan.steps[1].shell == ["/bin/sh", "-c"])
        #expect(plan.steps[6].workingDirectory == "/srv/web")
        #expect(plan.steps[6].user == "builder:staff")
        #expect(plan.steps[6].shell == ["/bin/bash", "-euc"])
    }

    @Test("a base image that cannot be opened is refused with the line, before anything runs")
    func missingBase() throws {
        #expect {
            _ = try plan("FROM oci:/nonexistent/layout:tag\nRUN true\n")
        } throws: { error in
            let message = (error as? ChangerecError)?.message ?? ""
            return message.hasPrefix("Containerfile:1: FROM oci:/nonexistent/layout:tag:")
        }
    }
}
