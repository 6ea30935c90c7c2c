/**
 * The positional parameters of the commands that take job references (an id, a unique prefix of
 * one, or `@last`: src/job_ref.ts), so that every such command documents them in the same words.
 */
import { JOB_REF_BRIEF } from "../job_ref.ts";

/** Exactly one job reference (`logs`, `rerun`, `show`). */
export const jobRefParam = {
  kind: "tuple",
  parameters: [{ brief: JOB_REF_BRIEF, parse: String, placeholder: "id" }],
} as const;

/** Any number of job references (`kill`, `cancel`, `wait`, `delete`, `dlq retry`). */
export const jobRefsParam = {
  kind: "array",
  parameter: { brief: `${JOB_REF_BRIEF}; several may be given`, parse: String, placeholder: "id" },
} as const;
