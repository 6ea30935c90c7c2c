/**
 * A worker's heartbeat: its file in `workers/` (what `worker list` and the dashboard show),
 * rewritten every HEARTBEAT_MS and soon after its running jobs change (at most every
 * CHANGE_GAP_MS, since a busy worker's jobs change hundreds of times a second), and its lock,
 * made anew when someone deleted it (liveness.ts).
 */
import type { Clock } from "../clock.ts";
import type { WorkerInfo, WorkerRegistration } from "./registry.ts";

export const HEARTBEAT_MS = 5000;
const CHANGE_GAP_MS = 200;

export class Heartbeat {
  readonly #registration: WorkerRegistration;
  readonly #clock: Clock;
  readonly #info: () => Omit<WorkerInfo, "heartbeat_at">;
  readonly #say: (message: string) => void;
  #last = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #failing = false;

  constructor(
    registration: WorkerRegistration,
    clock: Clock,
    info: () => Omit<WorkerInfo, "heartbeat_at">,
    say: (message: string) => void,
  ) {
    this.#registration = registration;
    this.#clock = clock;
    this.#info = info;
    this.#say = say;
  }

  /** Writes the file if HEARTBEAT_MS passed (every pass of the loop asks). */
  tick(): void {
    if (this.#clock.monotonic() - this.#last >= HEARTBEAT_MS) this.beat();
  }

  /** The running jobs or the stop state changed: written within CHANGE_GAP_MS. */
  changed(): void {
    if (this.#timer !== undefined) return;
    const wait = this.#last + CHANGE_GAP_MS - this.#clock.monotonic();
    if (wait <= 0) return this.beat();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.beat();
    }, wait);
  }

  beat(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#last = this.#clock.monotonic();
    try {
      if (this.#registration.keep()) this.#say("made its lock file anew: it had been deleted");
      this.#registration.update({ ...this.#info(), heartbeat_at: this.#clock.now().toISOString() });
      if (this.#failing) this.#say("wrote its heartbeat file again");
      this.#failing = false;
    } catch (e) {
      // said once, not every 5 s: a home that vanished stops the worker elsewhere (worker.ts)
      if (!this.#failing) this.#say(`could not write the heartbeat file: ${(e as Error).message}`);
      this.#failing = true;
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
