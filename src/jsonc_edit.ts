/**
 * jsonc-parser's comment-keeping edits, in a module of their own: config.ts imports this one by a
 * computed name (lazy.ts), so only `config set` loads the package. A literal `import("jsonc-parser")`
 * made Deno prepare it at the start of every command that reads the configuration, and in the bundle
 * read and compile its chunk (53 KB) at every call.
 */
export { applyEdits, modify } from "jsonc-parser";
