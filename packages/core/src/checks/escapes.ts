/**
 * Decodes the escapes a `send` payload may use: `\r`, `\n`, `\t`, `\0`, `\\` and `\xHH`.
 * Returns undefined for an unknown or incomplete escape.
 */
export function decodeEscapes(text: string): Buffer | undefined {
  const bytes: number[] = [];
  const encoded = Buffer.from(text, 'utf8');
  for (let index = 0; index < encoded.length; index += 1) {
    const byte = encoded[index] as number;
    if (byte !== 0x5c) {
      bytes.push(byte);
      continue;
    }
    const next = encoded[index + 1];
    index += 1;
    if (next === 0x72) bytes.push(0x0d);
    else if (next === 0x6e) bytes.push(0x0a);
    else if (next === 0x74) bytes.push(0x09);
    else if (next === 0x30) bytes.push(0x00);
    else if (next === 0x5c) bytes.push(0x5c);
    else if (next === 0x78) {
      const hex = encoded.subarray(index + 1, index + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else return undefined;
  }
  return Buffer.from(bytes);
}

/** The `send` / `sendHex` options of a check that writes a payload, as parsed. */
export interface PayloadOptions {
  readonly send?: string | undefined;
  readonly sendHex?: string | undefined;
}

/** The bytes to send: `send` with its escapes decoded, or the `sendHex` bytes; undefined when neither is set. */
export function decodePayload(options: PayloadOptions): Buffer | undefined {
  if (options.send !== undefined) return decodeEscapes(options.send);
  if (options.sendHex !== undefined) return Buffer.from(options.sendHex.replace(/\s+/g, ''), 'hex');
  return undefined;
}
