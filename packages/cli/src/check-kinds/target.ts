import { VigilError } from '@vigil/core';

/** Splits `host:port`, `[::1]:port` or `host` (with a default port). */
export function parseHostPort(target: string, defaultPort?: number): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  let host: string | undefined;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if ((target.match(/:/g) ?? []).length === 1) {
    [host, portText] = target.split(':');
  } else {
    host = target;
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!host || port === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new VigilError('VIGIL_ERR_CONFIG', `[cli] target: expected host:port${defaultPort ? ' or host' : ''}, got ${JSON.stringify(target)}`, { path: 'target' });
  }
  return { host, port };
}
