import ChangerecKit
import ChangerecSystem
import Testing

/// What changerec will not build, refused with one line naming file, line and instruction, and what to do.
@Suite("Containerfile refusals: one usage error naming the file, line and instruction, before anything runs")
struct ContainerfileRefusalTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var message: String
        var testDescription: String { message }
    }

    static func refused(_ body: String, _ message: String) -> Case {
        Case(file: "FROM scratch\nRUN true\n" + body, message: "Containerfile:3: " + message)
    }

    static let cases: [Case] = [
        refused("FOO bar", "unknown instruction FOO — see the Dockerfile reference for the instructions"),
        refused("RUNN make", "unknown instruction RUNN — did you mean RUN?"),
        refused("ENTRYPIONT [\"a\"]", "unknown instruction ENTRYPIONT — did you mean ENTRYPOINT?"),
        refused("ONBUILD RUN make", "ONBUILD is not supported — remove it; changerec images carry no build triggers"),
        refused(
            "HEALTHCHECK CMD true",
            "HEALTHCHECK is not supported — remove it and give the check when running the container "
                + "(podman run --health-cmd)"),
        refused(
            "VOLUME /data",
            "VOLUME is not supported — remove it and mount volumes when running the container (podman run -v)"),
        refused(
            "maintainer me",
            "MAINTAINER is not supported — it is deprecated; write LABEL org.opencontainers.image.authors=\"NAME\" instead"
        ),
        refused(
            "FROM oci:base",
            "a second FROM (line 1 has the first): multi-stage builds are not supported — split into separate "
                + "builds; a later one can start FROM oci:LAYOUT:TAG of an earlier one"),
        refused(
            "COPY --from=builder /app /app",
            "COPY --from (a multi-stage build) is not supported — split into separate builds: build the first "
                + "stage to a layout, then start FROM oci:LAYOUT:TAG or copy its files into the build context"),
        refused(
            "RUN --mount=type=cache,target=/root/.cache make",
            "RUN --mount is not supported — copy what the step needs into the image with COPY, or pass a bind "
                + "mount to changerec run --mount"),
        refused(
            "RUN --network=none make",
            "RUN --network is not supported — remove the flag"),
        refused(
            "RUN --security=insecure make",
            "RUN --security is not supported — remove the flag"),
        refused("RUN --quiet make", "unknown flag --quiet for RUN — RUN takes no flags"),
        refused("COPY --owner=app a /b", "unknown flag --owner for COPY — COPY takes --chmod, --chown"),
        refused("ENV --x=1 A=1", "unknown flag --x for ENV — ENV takes no flags"),
        refused("COPY --chown a /b", "COPY --chown needs a value — write --chown=USER[:GROUP]"),
        refused("COPY --chmod=755 --chmod=644 a /b", "COPY --chmod is given twice — keep one"),
        refused(
            "COPY --chmod=u+x a /b",
            "COPY --chmod=u+x is not an octal mode — write the mode in octal, e.g. --chmod=0755"),
        refused(
            "RUN cat <<EOF > /etc/motd",
            "heredocs (<<EOF) are not supported in RUN — put the text in a file in the build context and COPY it, or "
                + "write it with printf in RUN"),
        refused(
            "COPY <<-EOT /etc/motd",
            "heredocs (<<-EOT) are not supported in COPY — put the text in a file in the build context and COPY it, "
                + "or write it with printf in RUN"),
        refused(
            "ADD https://example.com/a.tar.gz /opt/",
            "ADD of a URL (https://example.com/a.tar.gz) is not supported — download it in a step (RUN curl -fsSLo "
                + "DEST URL), or into the build context first"),
        refused(
            "ADD http://example.com/a /opt/",
            "ADD of a URL (http://example.com/a) is not supported — download it in a step (RUN curl -fsSLo DEST URL), "
                + "or into the build context first"),
        refused(
            "ADD git@github.com:moby/buildkit.git /src",
            "ADD of a git repository (git@github.com:moby/buildkit.git) is not supported — clone it into the build "
                + "context first, or RUN git clone in the image"),
        refused(
            "ADD https://github.com/moby/buildkit.git#v0.10.1 /src",
            "ADD of a git repository (https://github.com/moby/buildkit.git#v0.10.1) is not supported — clone it into "
                + "the build context first, or RUN git clone in the image"),
        refused(
            "COPY https://example.com/a /opt/",
            "COPY of a URL (https://example.com/a) is not supported — download it in a step (RUN curl -fsSLo DEST "
                + "URL), or into the build context first"),
        refused(
            "COPY onlyone",
            "COPY needs at least one source and a destination — write COPY SOURCE... DESTINATION, e.g. COPY "
                + "app.conf /etc/app/"),
        refused(
            "ADD [\"onlyone\"]",
            "ADD needs at least one source and a destination — write ADD SOURCE... DESTINATION, e.g. ADD app.conf "
                + "/etc/app/"),
        refused("WORKDIR", "WORKDIR has no arguments — give it a directory, e.g. WORKDIR /app"),
        refused("USER   ", "USER has no arguments — give it a user, e.g. USER app or USER 1000:1000"),
        refused("RUN", "RUN has no arguments — give it a command"),
        refused("RUN []", "RUN has no arguments — give it a command"),
        refused("CMD", "CMD has no arguments — give it a command"),
        refused("ENV", "ENV has no arguments — give it KEY=VALUE"),
        refused("ENV ALONE", "ENV ALONE has no value — write ENV ALONE=VALUE"),
        refused(
            "ENV A=1 B",
            "'B' has no '=' in ENV — write every pair as KEY=VALUE, quoting values with spaces (KEY=\"a b\")"),
        refused("LABEL =x", "LABEL has an empty name in '=x' — name it"),
        refused("ARG", "ARG has no arguments — give it a name, e.g. ARG VERSION or ARG VERSION=1.0"),
        refused(
            "ARG A=1 B=2",
            "ARG takes one NAME or NAME=DEFAULT, not 2 words — write one ARG per line, with no spaces around '=' "
                + "(ARG VERSION=1.0)"),
        refused(
            "ARG VERSION 1.0",
            "ARG takes one NAME or NAME=DEFAULT, not 2 words — write one ARG per line, with no spaces around '=' "
                + "(ARG VERSION=1.0)"),
        refused("EXPOSE", "EXPOSE has no arguments — give it a port, e.g. EXPOSE 80 or EXPOSE 53/udp"),
        refused(
            "EXPOSE 80/http",
            "EXPOSE 80/http is not a port — write PORT or FIRST-LAST, optionally /tcp, /udp or /sctp (e.g. 53/udp)"),
        refused(
            "EXPOSE 70000",
            "EXPOSE 70000 is not a port — write PORT or FIRST-LAST, optionally /tcp, /udp or /sctp (e.g. 53/udp)"),
        refused(
            "STOPSIGNAL SIGWHAT",
            "STOPSIGNAL SIGWHAT is not a signal — write a name such as SIGTERM or a number such as 15"),
        refused(
            "SHELL /bin/bash -c",
            "SHELL must be a JSON array of strings — write it in exec form, e.g. SHELL [\"/bin/sh\", \"-c\"]"),
        refused(
            "CMD [\"a\", 1]",
            "the JSON array of CMD holds something other than strings — quote every element"),
        refused(
            "ENV A=\"unclosed", "ENV '\"unclosed': a double quote is not closed — close it, or escape it as \\\""),
        refused(
            "WORKDIR /srv/${APP", "WORKDIR '/srv/${APP': '${APP' without its closing '}' — close it with '}'"),
        refused(
            "USER ${APP/a/b}",
            "USER '${APP/a/b}': unsupported substitution in '${APP…}' — use ${APP}, ${APP:-default}, "
                + "${APP:+alternative} or ${APP:?message}"),
        refused(
            "COPY \"a b\" /dst/",
            "COPY '\"a': a double quote is not closed (quotes do not group words in COPY) — write paths with "
                + "spaces in JSON form: COPY [\"a b\", \"/dst/\"]"),
        Case(
            file: "ARG V\nFROM --platform=linux/arm64 oci:base\n",
            message:
                "Containerfile:2: FROM --platform is not supported — remove the flag and use a base image made for "
                + "this machine"),
        Case(
            file: "FROM debian:12\n",
            message:
                "Containerfile:1: FROM debian:12: changerec builds from scratch or an OCI image layout — copy the "
                + "image first (skopeo copy docker://debian:12 oci:debian:latest) and write FROM oci:debian:latest"),
        Case(
            file: "FROM oci:\n",
            message: "Containerfile:1: FROM oci: names no layout — write FROM oci:PATH or FROM oci:PATH:TAG"),
        Case(
            file: "FROM scratch AS one two\n",
            message:
                "Containerfile:1: FROM takes an image and optionally AS NAME — write FROM scratch or FROM "
                + "oci:LAYOUT[:TAG] [AS NAME]"),
        Case(
            file: "# a comment\n\nENV A=1\nFROM scratch\n",
            message: "Containerfile:3: ENV before FROM — only ARG may come before FROM; move it after FROM"),
        Case(
            file: "ARG A\nRUN true\n",
            message: "Containerfile:2: RUN before FROM — only ARG may come before FROM; move it after FROM"),
        Case(
            file: "ARG A\n# nothing else\n",
            message: "Containerfile:1: no FROM instruction — begin with FROM scratch or FROM oci:LAYOUT[:TAG]"),
        Case(
            file: "\n\n",
            message: "Containerfile:1: no FROM instruction — begin with FROM scratch or FROM oci:LAYOUT[:TAG]"),
        Case(
            file: "# escape=`\n# escape=\\\nFROM scratch\n",
            message: "Containerfile:2: a second '# escape=' parser directive — keep only one"),
        Case(
            file: "# escape=x\nFROM scratch\n",
            message: "Containerfile:1: '# escape=x' is not an escape character — use \\ or `"),
        Case(
            file: "FROM scratch\nRUN a \\\n  && b\nVOLUME /x \\\n  /y\n",
            message:
                "Containerfile:4: VOLUME is not supported — remove it and mount volumes when running the container "
                + "(podman run -v)"),
    ]

    @Test("the file is refused with the expected line", arguments: cases)
    func refusal(_ refusal: Case) {
        #expect(throws: ChangerecError(.usage, refusal.message)) {
            try Containerfile.parse(refusal.file, file: "Containerfile")
        }
    }

    @Test("the first problem in the file is the one reported, whatever follows it")
    func firstProblem() {
        let file = "FROM scratch\nHEALTHCHECK NONE\nONBUILD RUN x\n"
        #expect(
            throws: ChangerecError(
                .usage,
                "Containerfile:2: HEALTHCHECK is not supported — remove it and give the check when running the container (podman run --health-cmd)"
            )
        ) {
            try Containerfile.parse(file, file: "Containerfile")
        }
    }

    @Test("messages name the file as given")
    func fileName() {
        #expect(
            throws: ChangerecError(
                .usage,
                "ctx/Dockerfile.dev:1: unknown instruction NOPE — see the Dockerfile reference for the instructions")
        ) {
            try Containerfile.parse("NOPE", file: "ctx/Dockerfile.dev")
        }
    }
}
