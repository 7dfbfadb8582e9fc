import type { CheckState, Monitor } from '@vigil/core';
import { formatDuration } from '@vigil/core';

const statusColour: Record<string, string> = { up: '\u001b[32m', degraded: '\u001b[33m', down: '\u001b[31m', unknown: '\u001b[90m' };
const reset = '\u001b[0m';

function ago(ms: number): string {
  if (ms < 1_000) return 'now';
  return `${formatDuration(Math.round(ms / 1_000) * 1_000)} ago`;
}

/** One line per check: status, latency, rolling p95 and success ratio over 5 minutes. */
export function renderStatusLines(monitor: Monitor, now: number, colour: boolean): string[] {
  const checks: CheckState[] = monitor.checks();
  const idWidth = Math.min(24, Math.max(4, ...checks.map((check) => check.id.length)));
  return checks.map((check) => {
    const last = check.last;
    const status = last?.status ?? 'pending';
    const stats = monitor.metrics.get(check.id)?.stats(300_000);
    const mark = colour ? `${statusColour[status] ?? ''}●${reset}` : '●';
    const parts = [
      `${mark} ${check.id.padEnd(idWidth)}`,
      status.toUpperCase().padEnd(8),
      `${check.type} ${check.target}`.padEnd(28),
      last ? formatDuration(last.durationMs).padStart(9) : ''.padStart(9),
      stats && stats.count > 0 ? `p95 ${formatDuration(stats.p95)}`.padEnd(14) : ''.padEnd(14),
      stats && stats.count + (stats.count - stats.okCount) > 0 ? `ok ${(stats.successRatio * 100).toFixed(1)}%` : '',
      last ? `${last.reason === 'ok' ? '' : `${last.reason} `}${ago(now - last.timestamp)}` : 'waiting',
    ];
    return parts.join(' ').trimEnd();
  });
}

/** Redraws the status block in place on a terminal. */
export function createLiveStatus(monitor: Monitor, write: (text: string) => void): { render(): void; stop(): void } {
  let linesDrawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const render = (): void => {
    const lines = renderStatusLines(monitor, Date.now(), true);
    const up = linesDrawn > 0 ? `\u001b[${linesDrawn}A` : '';
    write(`${up}${lines.map((line) => `\u001b[2K${line}`).join('\n')}\n`);
    linesDrawn = lines.length;
  };
  timer = setInterval(render, 1_000);
  timer.unref();
  return {
    render,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      render();
    },
  };
}
