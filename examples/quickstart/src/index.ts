import { runDemo } from './demo.js';

// `npm start`: run until Ctrl-C (or for VIGIL_DEMO_SECONDS seconds).
const seconds = Number(process.env.VIGIL_DEMO_SECONDS ?? '');
const stopRequested = new Promise<string>((resolve) => {
  process.once('SIGINT', () => resolve('SIGINT'));
  process.once('SIGTERM', () => resolve('SIGTERM'));
});
await runDemo({
  dataDirectory: process.env.VIGIL_DATA_DIR ?? '.vigil',
  durationMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : undefined,
  stopRequested,
});
