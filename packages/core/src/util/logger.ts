import { redactText, redactValue } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Record<string, unknown>;

/** The logger handed to plugins. Implementations must never throw. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: LogFields): Logger;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** `json`: one JSON object per line; `pretty`: `time level message k=v`. Default `pretty`. */
  format?: 'json' | 'pretty';
  /** Where lines go; default `process.stderr`. */
  write?: (line: string) => void;
  /** Literal secret values to scrub from every line (bot tokens, passwords from config). */
  secrets?: readonly string[];
}

/** A small structured logger that redacts secrets from messages and fields. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}, bindings: LogFields = {}): Logger {
  const threshold = levelRank[options.level ?? 'info'];
  const format = options.format ?? 'pretty';
  const secrets = options.secrets ?? [];
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void => {
    if (levelRank[level] < threshold) return;
    try {
      const merged = redactValue({ ...bindings, ...fields }, secrets);
      const text = redactText(message, secrets);
      if (format === 'json') {
        write(JSON.stringify({ time: new Date().toISOString(), level, msg: text, ...merged }));
      } else {
        const extra = Object.entries(merged)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
          .join(' ');
        write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}${extra ? ` ${extra}` : ''}`);
      }
    } catch {
      // A logger must never take the monitor down.
    }
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (extra) => createConsoleLogger(options, { ...bindings, ...extra }),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
});
