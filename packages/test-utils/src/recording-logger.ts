import type { LogFields, Logger } from '@vigil/core';

/** One line a {@link RecordingLogger} kept. */
export interface RecordedLogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /** Child bindings and the line's own fields. */
  readonly fields: LogFields;
}

/** A logger that keeps every line, to assert what is (and is not) logged. */
export interface RecordingLogger extends Logger {
  readonly records: readonly RecordedLogLine[];
  /** Each line as `level message {fields as JSON}`, for substring checks (secrets must not appear). */
  lines(): string[];
}

/** Creates a {@link RecordingLogger}; children share its records. */
export function createRecordingLogger(): RecordingLogger {
  const records: RecordedLogLine[] = [];
  const make = (bindings: LogFields): Logger => {
    const write =
      (level: RecordedLogLine['level']) =>
      (message: string, fields?: LogFields): void => {
        records.push({ level, message, fields: { ...bindings, ...fields } });
      };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (extra) => make({ ...bindings, ...extra }) };
  };
  return Object.assign(make({}), {
    records,
    lines: () => records.map((record) => `${record.level} ${record.message} ${JSON.stringify(record.fields)}`),
  });
}
