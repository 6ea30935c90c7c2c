/**
 * Shell completions. `queuectl completion bash|zsh` prints a script that asks the CLI itself
 * (`queuectl __complete <words>`) for candidates, so completions follow the command tree as it is.
 */
import { proposeCompletions } from "@stricli/core";
import { UsageError } from "../errors.ts";
import { type AppContext, command } from "./context.ts";

const BASH = `# queuectl completion for bash (zsh: run \`autoload -U bashcompinit && bashcompinit\` first)
_queuectl_complete() {
  local IFS=$'\\n'
  COMPREPLY=( $(COMP_LINE="" queuectl __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
}
complete -o default -F _queuectl_complete queuectl
`;

function completion(this: AppContext, _flags: Record<never, never>, shell: string): void {
  if (shell !== "bash" && shell !== "zsh") {
    throw new UsageError(`Cannot print completions for "${shell}": expected bash or zsh`);
  }
  this.process.stdout.write(shell === "zsh" ? `autoload -U bashcompinit && bashcompinit\n${BASH}` : BASH);
}

export const completionCommand = command({
  func: completion,
  parameters: {
    positional: {
      kind: "tuple",
      parameters: [{ brief: "bash or zsh", parse: String, placeholder: "shell" }],
    },
  },
  docs: {
    brief: "Print a shell completion script",
    fullDescription: "Example:\n  source <(queuectl completion bash)\n  queuectl completion zsh >> ~/.zshrc",
  },
});

/** Answers `queuectl __complete <words...>`: one candidate per line. */
export async function printCompletions(
  app: Parameters<typeof proposeCompletions<AppContext>>[0],
  words: string[],
  context: AppContext,
): Promise<void> {
  const proposals = await proposeCompletions(app, words.length ? words : [""], context);
  context.process.stdout.write(
    proposals.map((p) => p.completion).join("\n") + (proposals.length ? "\n" : ""),
  );
}
