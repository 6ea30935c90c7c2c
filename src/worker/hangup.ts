/**
 * Whether a hang-up (SIGHUP) was ignored when this process started, as `nohup` arranges, so that
 * `worker start` can keep ignoring it; otherwise a hang-up is a graceful stop.
 *
 * Why we must look, and look first: Deno never leaves SIGHUP alone. The first signal listener
 * registered in the process, ours (SIGINT, SIGTERM) or Deno's own (since 2.9 it listens for
 * SIGUSR1 to start the inspector, 500 ms after the main module starts), makes Deno install one
 * handler for SIGHUP, SIGINT and SIGTERM together, replacing nohup's "ignore". A SIGHUP that no
 * JavaScript listener takes is then "handled" by emulating the default action: the process dies
 * of SIGHUP (status 129) at once, its jobs unrecorded. So the disposition is read from
 * /proc/<pid>/status (by /bin/sh, see proc_status.ts) before any listener exists, and the
 * worker always registers a SIGHUP listener of its own.
 *
 * When Deno's handler was already in place (SIGHUP caught before we registered anything), the
 * disposition at start cannot be known any more: that counts as "unknown", and the worker treats
 * a hang-up as a stop, which loses nothing (running jobs finish and are recorded).
 */
import { hasSignal, readSignalMasks, type SignalMasks } from "./proc_status.ts";

const SIGHUP = 1;

/** SIGHUP's disposition when this process started: see the top of this file. */
export type HangupAtStart = "ignored" | "default" | "unknown";

/** Classifies the masks read before this process registered any signal listener. */
export function hangupDisposition(masks: SignalMasks | null): HangupAtStart {
  if (masks === null) return "unknown";
  if (hasSignal(masks.ignored, SIGHUP)) return "ignored";
  if (hasSignal(masks.caught, SIGHUP)) return "unknown";
  return "default";
}

/** SIGHUP's disposition in this process now; call it before registering any signal listener. */
export function hangupAtStart(): HangupAtStart {
  return hangupDisposition(readSignalMasks(Deno.pid));
}
