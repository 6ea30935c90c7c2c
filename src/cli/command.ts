/**
 * The command tree's builders over stricli: `command()` makes a command whose body runs under
 * context.ts's `action` (one error line, an exit code), `routes()` a group of them. Every command
 * module's definition uses these; the bodies themselves need only context.ts.
 */
import {
  type BaseArgs,
  buildCommand,
  buildRouteMap,
  type Command,
  type RouteMap,
  type TypedCommandParameters,
} from "@stricli/core";
import { action, type AppContext } from "./context.ts";

/** What stricli accepts as a flags type: an interface too (it has no index signature). */
type FlagsOf<F> = Readonly<Partial<Record<keyof F, unknown>>>;

export interface CommandSpec<F extends FlagsOf<F>, A extends BaseArgs> {
  func: (this: AppContext, flags: F, ...args: A) => void | Promise<void>;
  /**
   * stricli's flag and positional descriptions, checked against F and A: a flag spec missing
   * from F, of another type, or optional where F's field is required fails the type check
   */
  parameters: TypedCommandParameters<F, A, AppContext>;
  /**
   * `usage`: the usage lines (after the command's name) when the generated one would say less
   * than what the command accepts; they also stand for the command in its group's help
   */
  docs: { brief: string; fullDescription?: string; usage?: readonly string[] };
}

/** A stricli command whose body runs under `action` (one error line, exit code). */
export function command<F extends FlagsOf<F>, A extends BaseArgs>(
  spec: CommandSpec<F, A>,
): Command<AppContext> {
  const { usage, ...docs } = spec.docs;
  const built = buildCommand<F, A, AppContext>({
    func: action<F, A>(spec.func),
    parameters: spec.parameters,
    docs: usage ? { ...docs, customUsage: usage } : docs,
  });
  if (!usage) return built;
  // stricli's list of a group's commands ignores customUsage: give it the lines too (each line
  // after the first indented as stricli indents the first)
  return {
    ...built,
    formatUsageLine: (args) => usage.map((u) => [...args.prefix, u].join(" ")).join("\n  "),
  };
}

export function routes(
  routeMap: Record<string, Command<AppContext> | RouteMap<AppContext>>,
  docs: { brief: string; fullDescription?: string },
): RouteMap<AppContext> {
  return buildRouteMap<string, AppContext>({ routes: routeMap, docs });
}
