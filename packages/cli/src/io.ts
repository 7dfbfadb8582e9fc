/** Where a command writes and what it reads from its environment; injectable for tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** True when stdout is an interactive terminal (live status instead of log lines). */
  readonly isTty: boolean;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); tests resolve it themselves. */
  readonly stopRequested?: Promise<string>;
}

/** The real process's IO. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stdout.isTTY === true,
  };
}

/** Nagios plugin exit codes. */
export const exitCodes = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;
