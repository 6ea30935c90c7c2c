/**
 * Errors that carry their exit code. A failed *job* is data (see job.ts); these are the
 * program's own failures: bad input (2) and operational errors such as not found (1).
 */
export class QueueError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid input or usage: exit code 2. Raised before anything is written. */
export class UsageError extends QueueError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** An operational error (not found, duplicate id, wrong state): exit code 1. */
export class OperationError extends QueueError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** The store's files are damaged somewhere a crash cannot explain. */
export class CorruptionError extends QueueError {
  constructor(readonly file: string, readonly line: number, detail: string, where = `line ${line}`) {
    super(
      `Store file ${file} is corrupt at ${where}: ${detail}; nothing was changed, and \`queuectl doctor --repair\` can quarantine the damaged part`,
      1,
    );
  }
}

/**
 * A command whose object is the store itself (compact, doctor) on a home where nothing was ever
 * written: exit code 1, and nothing is created there (a typo in `--home` must not pass for a store).
 */
export class NoStoreError extends OperationError {
  constructor(readonly action: string, readonly home: string) {
    super(`Cannot ${action}: there is no store at ${home} (nothing was ever written there)`);
  }
}

/** A job id that names no job: exit code 1 (404 in the API). */
export class JobNotFoundError extends OperationError {
  constructor(readonly action: string, readonly id: string) {
    super(`Cannot ${action} job "${id}": no such job`);
  }
}

/** An id that is taken: exit code 1 (409 in the API). */
export class DuplicateJobError extends OperationError {
  constructor(readonly id: string, detail = "a job with this id already exists") {
    super(`Cannot enqueue job "${id}": ${detail}`);
  }
}

/**
 * A dependency (`--after`, JSON `after`) that names no job: exit code 1 (404 in the API), as a
 * job that is not found anywhere else.
 */
export class DependencyNotFoundError extends OperationError {
  constructor(readonly job: string, readonly dependency: string) {
    super(`Cannot enqueue ${job}: its dependency "${dependency}" does not exist`);
  }
}

/** An action the job's state does not allow (retry a pending job, kill a completed one): exit code 1 (409). */
export class JobStateError extends OperationError {}
