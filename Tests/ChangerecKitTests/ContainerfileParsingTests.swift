import ChangerecKit
import ChangerecSystem
import Testing

/// What the fixtures cannot say easily: line ends, byte order marks, the shape of the parsed values, and
/// expansion's own failures.
@Suite("Containerfile parsing: line ends, instruction text and expansion")
struct ContainerfileParsingTests {
    func parse(_ text: String) throws(ChangerecError) -> [BuildInstruction] {
        try Containerfile.parse(text, file: "Containerfile").instructions
    }

    @Test("CRLF line ends and a UTF-8 byte order mark read as plain lines")
    func crlfAndBOM() throws {
        let plain = try parse("# escape=`\nFROM scratch\nRUN echo a `\n  b\nENV A=1\n")
        let windows = try parse("\u{FEFF}# escape=`\r\nFROM scratch\r\nRUN echo a `\r\n  b\r\nENV A=1\r\n")
        #expect(windows == plain)
        #expect(plain.map(\.text) == ["FROM scratch", "RUN echo a   b", "ENV A=1"])
        #expect(plain.allSatisfy { $0.escape == "`" })
    }

    @Test("a multi-line instruction keeps its first line, keyword as written and the joined text")
    func multiLineText() throws {
        let instructions = try parse(
            """
            from scratch
            run set -e; \\
                # why: the mirror is slow
                apt-get update; \\

                apt-get install -y curl
            """)
        let run = try #require(instructions.last)
        #expect(run.line == 2)
        #expect(run.keyword == "RUN")
        #expect(run.text == "run set -e;     apt-get update;     apt-get install -y curl")
        #expect(run.operation == .run(.shell("set -e;     apt-get update;     apt-get install -y curl")))
        #expect(run.file == "Containerfile")
    }

    @Test("FROM AS keeps the image; ARG may come before FROM")
    func fromAs() throws {
        let instructions = try parse("ARG TAG=12\nFROM oci:base:${TAG} as only\n")
        #expect(
            instructions.map(\.operation) == [.arg(name: "TAG", defaultValue: "12"), .from(image: "oci:base:${TAG}")])
        let expanded = try instructions[1].expanded(with: ["TAG": "13"])
        #expect(expanded.operation == .from(image: "oci:base:13"))
        #expect(expanded.text == "FROM oci:base:${TAG} as only")
    }

    @Test("expansion leaves RUN, CMD, ENTRYPOINT and SHELL as written")
    func shellFormsAreNotExpanded() throws {
        let instructions = try parse(
            "FROM scratch\nRUN echo $A \"$A\" '${A:-x}'\nCMD [\"$A\"]\nENTRYPOINT $A\nSHELL [\"$A\", \"-c\"]\n")
        for instruction in instructions.dropFirst() {
            #expect(try instruction.expanded(with: ["A": "expanded"]) == instruction)
        }
    }

    @Test("a variable holding spaces gives several EXPOSE ports, and one WORKDIR")
    func spacesInValues() throws {
        let instructions = try parse("FROM scratch\nEXPOSE $PORTS\nWORKDIR $DIR\n")
        let variables = ["PORTS": "80 443/udp", "DIR": "/srv/my app"]
        #expect(try instructions[1].expanded(with: variables).operation == .expose(["80", "443/udp"]))
        #expect(try instructions[2].expanded(with: variables).operation == .workdir("/srv/my app"))
    }

    @Test("ENV expands every value with the variables from before the instruction")
    func envUsesEarlierValues() throws {
        let instructions = try parse("FROM scratch\nENV A=new B=$A\n")
        let expanded = try instructions[1].expanded(with: ["A": "old"])
        #expect(expanded.operation == .env([KeyValue(key: "A", value: "new"), KeyValue(key: "B", value: "old")]))
    }

    static let expansionFailures: [(String, [String: String], String)] = [
        (
            "FROM ${BASE}", [:],
            "Containerfile:2: FROM expands to nothing — set the variable it uses, e.g. FROM oci:LAYOUT:TAG"
        ),
        (
            "FROM $BASE", ["BASE": "debian:12"],
            "Containerfile:2: FROM debian:12: changerec builds from scratch or an OCI image layout — copy the image "
                + "first (skopeo copy docker://debian:12 oci:debian:latest) and write FROM oci:debian:latest"
        ),
        (
            "ADD $URL /opt/", ["URL": "https://example.com/x"],
            "Containerfile:2: ADD of a URL (https://example.com/x) is not supported — download it in a step (RUN "
                + "curl -fsSLo DEST URL), or into the build context first"
        ),
        (
            "COPY --chmod=$MODE a /b", ["MODE": "rwx"],
            "Containerfile:2: COPY --chmod=rwx is not an octal mode — write the mode in octal, e.g. --chmod=0755"
        ),
        (
            "EXPOSE $PORT", ["PORT": "http"],
            "Containerfile:2: EXPOSE http is not a port — write PORT or FIRST-LAST, optionally /tcp, /udp or /sctp "
                + "(e.g. 53/udp)"
        ),
        ("EXPOSE $PORT", [:], "Containerfile:2: EXPOSE expands to no port — set the variable"),
        (
            "STOPSIGNAL $SIG", ["SIG": "SIGNOPE"],
            "Containerfile:2: STOPSIGNAL SIGNOPE is not a signal — write a name such as SIGTERM or a number such as 15"
        ),
        (
            "WORKDIR $DIR", [:],
            "Containerfile:2: WORKDIR expands to nothing — set the variable it uses, e.g. WORKDIR /app"
        ),
        (
            "USER ${APP_USER:?set the user}", [:],
            "Containerfile:2: USER '${APP_USER:?set the user}': APP_USER: set the user — pass it with --build-arg "
                + "APP_USER=VALUE"
        ),
        (
            "ENV A=${NEEDED:?}", ["NEEDED": ""],
            "Containerfile:2: ENV '${NEEDED:?}': NEEDED: is unset or empty — pass it with --build-arg NEEDED=VALUE"
        ),
        (
            "LABEL ${EMPTY}=x", [:],
            "Containerfile:2: LABEL name '${EMPTY}' expands to nothing — set the variable it uses"
        ),
    ]

    @Test("an expanded value that is not allowed is refused with the instruction's line", arguments: expansionFailures)
    func expansionFailure(_ line: String, _ variables: [String: String], _ message: String) throws {
        let instructions = try parse((line.hasPrefix("FROM") ? "ARG BASE\n" : "FROM scratch\n") + line + "\n")
        let instruction = try #require(instructions.last)
        #expect(throws: ChangerecError(.usage, message)) { try instruction.expanded(with: variables) }
    }

    @Test("a `${VAR:?}` whose variable is set expands; the parser does not refuse it before the build")
    func requiredVariable() throws {
        let instructions = try parse("FROM scratch\nUSER ${APP_USER:?set the user}\n")
        #expect(try instructions[1].expanded(with: ["APP_USER": "app"]).operation == .user("app"))
    }
}
