#!/usr/bin/env node
import { main } from './main.js';
import { processIo } from './io.js';

let signals = 0;
const stopRequested = new Promise<string>((resolve) => {
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(130);
    resolve(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
});

const code = await main(process.argv.slice(2), { ...processIo(), stopRequested });
process.exitCode = code;
// Open handles (sockets of checks that ignored their timeout) must not keep a finished command alive.
setTimeout(() => process.exit(code), 2_000).unref();
