import Foundation

/// Drives tmux on a private socket for end-to-end tests and benchmarks. Commands are spawned
/// with posix_spawn: Foundation's Process does not return when its child goes on to start a
/// tmux server (seen here), so this spawns and reaps tmux itself.
public struct Tmux: Sendable {
    public let socket: String

    public init(socket: String) { self.socket = socket }

    /// Runs `tmux -L socket ARGUMENTS`; returns stdout when `capture` (capture-pane, display-message).
    @discardableResult
    public func run(_ arguments: [String], capture: Bool = false) -> String {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var fds: [Int32] = [0, 0]
        if capture {
            _ = pipe(&fds)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Empty signal mask: a tmux server started with SIGHUP/SIGCHLD blocked never delivers
        // hang-ups to its panes and survives kill-server (see ChildProcess).
        guard let pid = try? ChildProcess.spawn("/usr/bin/tmux", ["-L", socket] + arguments, actions: &actions,
                                                environment: ProcessInfo.processInfo.environment.filter { $0.key != "TMUX" }) else { return "" }
        var output = Data()
        if capture {
            close(fds[1])
            output = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// The text of a pane (`escapes`: with colour and attribute sequences, to see highlights move).
    public func capture(_ target: String, escapes: Bool = false) -> String {
        run(["capture-pane", "-p"] + (escapes ? ["-e"] : []) + ["-t", target], capture: true)
    }

    /// Polls the pane every 0.1 s until `predicate` holds or `timeout` passes; returns the last
    /// screen. The loop runs on a thread of its own while the caller suspends: blocking a thread
    /// of Swift's cooperative pool (two on two cores) for the whole wait stalled the in-process
    /// pollers of the tests beside it, sleeping on that pool instead let a loaded suite stretch
    /// the polling to seconds, missing screens that show for two (`--rotate 2s`), and a Dispatch
    /// queue shares its threads with that pool on Linux (`Blocking`).
    public func waitFor(_ target: String, timeout: Double, _ predicate: @escaping @Sendable (String) -> Bool) async -> (ok: Bool, screen: String) {
        await Blocking.run {
            let deadline = Date().addingTimeInterval(timeout)
            var screen = capture(target)
            while Date() < deadline {
                if predicate(screen) { return (true, screen) }
                usleep(100_000)
                screen = capture(target)
            }
            return (predicate(screen), screen)
        }
    }

    public static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }
}
