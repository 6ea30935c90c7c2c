/**
 * A flag of the command given as `--flag=` with nothing after the "=": stricli reads a flag and
 * its value from one word only when a value follows the "=", so `--queue=` was taken as an
 * argument (a job's command, an extra argument, a job id) and refused in words about that, or
 * enqueued. The one rule, checked before stricli runs: such a word, where stricli would read a
 * flag, is refused naming the flag. An empty value given as a word of its own (`--queue ''`) is
 * a value like any other, judged by the flag's own validation. `--home=` is homeArgs()'s.
 */

import { argvCommand, commandAt } from "./command_at.ts";

/** stricli's `--name=value` and `-x=value`, with the value left empty. */
const EMPTY_LONG = /^--([a-z][a-z-.\d_]+)=$/i;
const EMPTY_ALIAS = /^-([a-z])=$/i;

/** The flags stricli adds to every command: not ours to judge. */
const STRICLI_FLAGS = new Set(["--help=", "-h=", "--helpAll=", "--help-all=", "-H=", "--version=", "-v="]);

/**
 * The sentence that refuses the first `--flag=` (or `-x=`, an alias) of `args` (the command line
 * after the global --home) that names a flag of its command with an empty value, or null. Words
 * after `--` are arguments and are not looked at, nor is the word after a flag that takes a
 * value (stricli takes it as that value, whatever it looks like). With --argv, a flag of ours
 * after the program is still read as ours (as argvWithoutSeparator() in run.ts says), so it is
 * refused too, with the way to give the word to the program instead. A name the command has no
 * flag for is refused as unknown, as stricli refuses `--name=value` (but not stricli's own --help).
 */
export function emptyFlagValue(root: unknown, args: readonly string[]): string | null {
  const at = commandAt(root, args);
  if (at === null) return null;
  const { path, flags, aliases } = at;
  const end = args.indexOf("--", path.length);
  const words = args.slice(path.length, end < 0 ? args.length : end);
  /** the flag `word` names (`--name`, `-x`, with or without "="), undefined for none of ours */
  const flagOf = (word: string): string | undefined => {
    const long = /^--([^=]+)/.exec(word);
    if (long) return Object.hasOwn(flags, long[1]) ? long[1] : undefined;
    const alias = /^-([^-=])(=|$)/.exec(word);
    return alias && Object.hasOwn(aliases, alias[1]) ? aliases[alias[1]] : undefined;
  };
  const argvSpec = argvCommand(path);
  // the position of the program, when the words are a program and its arguments (stricli's truths)
  const argv = words.some((w) => w === "--argv" || /^--argv=(true|t|yes|y|on|1)$/i.test(w));
  const program = argvSpec && argv ? argvSpec.before : undefined;
  let positionals = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const name = flagOf(word);
    const empty = EMPTY_LONG.test(word) || EMPTY_ALIAS.test(word);
    const afterProgram = program !== undefined && positionals > program;
    if (name === undefined) {
      if (!word.startsWith("-") || word === "-") positionals++;
      // a misspelt flag (after an --argv program, argvWithoutSeparator() says what to do)
      if (empty && !afterProgram && !STRICLI_FLAGS.has(word)) {
        const route = path.join(" ");
        return `Unknown flag ${word.slice(0, -1)} of queuectl ${route} (see \`queuectl ${route} --help\`)`;
      }
      continue;
    }
    if (!empty) {
      // a flag that takes a value and has none in this word takes the next word, whatever it is
      if (flags[name].kind !== "boolean" && !word.includes("=")) i++;
      continue;
    }
    const typed = word.slice(0, -1);
    const why = flags[name].kind === "boolean"
      ? `it needs true or false after "=", as in ${typed}=true (or ${typed} alone)`
      : `it needs a value after "=", as in ${typed}=${flags[name].placeholder ?? "value"}`;
    return `Invalid ${typed}: ${why}${
      afterProgram ? `; to pass ${JSON.stringify(word)} to the program, put -- before the program` : ""
    }`;
  }
  return null;
}
