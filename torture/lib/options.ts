/** The command line of `deno task torture`: parsed once, bad input refused by name (exit 2). */
import { randomSeed } from "./prng.ts";

export interface Options {
  help: boolean;
  trials: number;
  seed: number;
  /** the seed was drawn at random (printed, so that the run can be repeated) */
  seedDrawn: boolean;
  quick: boolean;
  json: boolean;
  /** steps to run, in the order of the step list */
  only: string[];
}

export const DEFAULT_TRIALS = 1000;
const MAX_SEED = 0xffffffff;

export function usage(steps: readonly string[]): string {
  return `usage: deno task torture [--trials N] [--seed S] [--quick] [--only STEP,...] [--json] [--help]

  --trials N  kill -9 trials (default ${DEFAULT_TRIALS})
  --seed S    seed of every random choice, 0..${MAX_SEED} (default: drawn at random and printed)
  --quick     the short run CI does (about 2 minutes)
  --only      run only these steps: ${steps.join(", ")}
  --json      print the results as JSON on stdout instead of the table`;
}

export class OptionError extends Error {}

/** Parses the arguments; throws an OptionError naming the bad one. */
export function parseOptions(args: readonly string[], steps: readonly string[], draw = randomSeed): Options {
  const o: Options = {
    help: false,
    trials: DEFAULT_TRIALS,
    seed: 0,
    seedDrawn: true,
    quick: false,
    json: false,
    only: [...steps],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      if (eq > 0 && arg.startsWith("--")) return arg.slice(eq + 1);
      if (i + 1 >= args.length) throw new OptionError(`Invalid ${name}: it needs a value`);
      return args[++i];
    };
    switch (name) {
      case "--help":
      case "-h":
        o.help = true;
        break;
      case "--quick":
        o.quick = true;
        break;
      case "--json":
        o.json = true;
        break;
      case "--trials":
        o.trials = integer("--trials", value(), 1, 1_000_000);
        break;
      case "--seed":
        o.seed = integer("--seed", value(), 0, MAX_SEED);
        o.seedDrawn = false;
        break;
      case "--only": {
        const list = value();
        const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
        const unknown = names.filter((n) => !steps.includes(n));
        if (names.length === 0 || unknown.length > 0) {
          throw new OptionError(`Invalid --only "${list}": expected steps among ${steps.join(", ")}`);
        }
        o.only = steps.filter((s) => names.includes(s));
        break;
      }
      default:
        throw new OptionError(`Unknown argument "${arg}"`);
    }
  }
  if (o.seedDrawn) o.seed = draw();
  return o;
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new OptionError(`Invalid ${flag} "${raw}": it must be an integer from ${min} to ${max}`);
  }
  return n;
}
