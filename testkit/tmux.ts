/**
 * A real terminal for tests: a private tmux server (its own socket, so `kill()` ends only what
 * this test started) running an interactive bash in a pane, into which a test types commands.
 * Killing the server closes the pane's terminal: the kernel hangs it up, as when a user closes a
 * terminal window or an ssh session drops.
 */
import { waitFor } from "./wait.ts";

export class Tmux {
  readonly socket = `qctl-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  readonly session = "qctl";
  /** the server's socket file, which tmux leaves behind when it exits */
  #socketPath: string | null = null;

  /** Runs `tmux <args>` on this server; throws unless it succeeds. Returns stdout. */
  async tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.socket, "-f", "/dev/null", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`tmux ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    return new TextDecoder().decode(out.stdout);
  }

  /**
   * Starts the server with one pane running an interactive bash (no rc files, a fixed prompt) in
   * `cwd`, and waits for its prompt.
   */
  async start(cwd: string): Promise<void> {
    await this.tmux(
      "new-session",
      "-d",
      "-s",
      this.session,
      "-x",
      "200",
      "-y",
      "50",
      "-c",
      cwd,
      // more than one argument: tmux runs bash itself, not through `sh -c`, so bash leads the session
      "env",
      "PS1=qctl$ ",
      "bash",
      "--norc",
      "--noprofile",
      "-i",
    );
    this.#socketPath = (await this.tmux("display-message", "-p", "#{socket_path}")).trim();
    await waitFor(async () => (await this.screen()).includes("qctl$"), "the shell's prompt in tmux");
  }

  /** Types `line` into the pane and presses Enter. */
  async type(line: string): Promise<void> {
    await this.tmux("send-keys", "-t", this.session, "-l", line);
    await this.tmux("send-keys", "-t", this.session, "Enter");
  }

  /** What the pane shows now. */
  screen(): Promise<string> {
    return this.tmux("capture-pane", "-p", "-t", this.session);
  }

  /** Kills the server, hanging up the pane's terminal, and removes its socket; no error when it is gone already. */
  async kill(): Promise<void> {
    try {
      await this.tmux("kill-server");
    } catch { /* not running */ }
    if (this.#socketPath !== null) {
      try {
        Deno.removeSync(this.#socketPath);
      } catch { /* removed already */ }
    }
  }
}
