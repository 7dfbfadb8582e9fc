import type { CliIo } from './io.js';

/** A CliIo that captures output, for tests of commands run in-process. */
export function createCapturingIo(options: { env?: Record<string, string | undefined>; cwd?: string; isTty?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  let requestStop: (signal: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => {
    requestStop = resolve;
  });
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    isTty: options.isTty ?? false,
    stopRequested,
  };
  return {
    io,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    stop: (signal = 'SIGTERM') => requestStop(signal),
  };
}
