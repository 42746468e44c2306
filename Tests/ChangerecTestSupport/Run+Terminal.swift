extension Run {
    /// Runs `arguments` with a pseudo-terminal as its standard streams (python3's `pty.fork`) and returns
    /// what it printed there (with `\r\n` line ends, as a terminal gets them) followed by a line
    /// `status N` with its exit status.
    public static func onTerminal(_ arguments: [String]) throws -> RunResult {
        let driver = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], sys.argv[1:])
            out = b""
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk: break
                out += chunk
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(out.decode(errors="replace") + "status %d\\n" % os.waitstatus_to_exitcode(status))
            """
        return try command(["/usr/bin/python3", "-c", driver] + arguments)
    }
}
