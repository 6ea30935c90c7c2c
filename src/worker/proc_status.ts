/**
 * What /proc says about a process: its signal dispositions (`SigIgn`, `SigCgt` of
 * /proc/<pid>/status) and its run state (field 3 of /proc/<pid>/stat). Deno reads /proc only
 * with --allow-all, which the CLI does not have, so /bin/sh reads it (the CLI may run programs).
 * The parsers are pure; `readSignalMasks` and `processState` are the I/O.
 */
import { READ_STAT, readProc, readProcSync } from "./proc.ts";

/** The signal masks of a process, as bit sets (bit n-1 stands for signal n). */
export interface SignalMasks {
  ignored: bigint;
  caught: bigint;
}

/** sh: print the SigIgn and SigCgt lines of /proc/<pid>/status */
const READ_MASKS =
  'while IFS= read -r l; do case $l in SigIgn:*|SigCgt:*) echo "$l";; esac; done < "/proc/$1/status"';

/** Parses the SigIgn/SigCgt lines of /proc/<pid>/status, or null when either is missing. */
export function parseSignalMasks(text: string): SignalMasks | null {
  const mask = (name: string) => {
    const hex = new RegExp(`^${name}:\\s*([0-9a-fA-F]+)\\s*$`, "m").exec(text)?.[1];
    return hex === undefined ? null : BigInt(`0x${hex}`);
  };
  const ignored = mask("SigIgn");
  const caught = mask("SigCgt");
  return ignored === null || caught === null ? null : { ignored, caught };
}

/** True when `signal` (its number) is in `mask`. */
export function hasSignal(mask: bigint, signal: number): boolean {
  return ((mask >> BigInt(signal - 1)) & 1n) === 1n;
}

/**
 * The signal masks of `pid`, read synchronously (so that nothing else runs in this process
 * meanwhile), or null where there is no /proc.
 */
export function readSignalMasks(pid: number): SignalMasks | null {
  const text = readProcSync(READ_MASKS, pid);
  return text === null ? null : parseSignalMasks(text);
}

/**
 * The state letter of field 3 of /proc/<pid>/stat, given what READ_STAT prints (the fields
 * after the command name): `R`, `S`, `D`, `T` (stopped), `t` (stopped by a tracer), `Z`, ...
 */
export function parseState(afterName: string): string | null {
  const state = afterName.trim().split(" ")[0];
  return state ? state : null;
}

/** The state letter of `pid` (see `parseState`), or null when it is gone or there is no /proc. */
export async function processState(pid: number): Promise<string | null> {
  const text = await readProc(READ_STAT, pid);
  return text === null ? null : parseState(text);
}

/** True for the states of a process that the kernel holds stopped (SIGSTOP, SIGTSTP, a tracer). */
export function isStoppedState(state: string | null): boolean {
  return state === "T" || state === "t";
}
