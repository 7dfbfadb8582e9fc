/** The ways the check can send ICMP echoes. */
export type IcmpBackendName = 'raw' | 'fping' | 'ping';

/** One series of echoes to one address. */
export interface EchoSeriesRequest {
  /** An IP literal (names are resolved by the check). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly count: number;
  /** Between the starts of consecutive echoes. */
  readonly intervalMs: number;
  /** How long each echo waits for its reply. */
  readonly timeoutMs: number;
  /** Bytes after the 8-byte ICMP header. */
  readonly payloadSize: number;
  readonly signal: AbortSignal;
}

/** What became of one echo. */
export interface EchoSample {
  /** Round trip in milliseconds; undefined when no reply came. */
  readonly rttMs?: number;
  /** The reply's IP TTL, when the backend sees it. */
  readonly ttl?: number;
  /** Why the echo failed other than by silence (an ICMP error, a send error). */
  readonly error?: string;
}

export interface EchoSeriesResult {
  /** One sample per echo sent, in order. Echoes never sent (the run was aborted) are not listed. */
  readonly samples: readonly EchoSample[];
  /** True when the signal ended the series early. */
  readonly aborted: boolean;
  /** A failure of the backend itself (the command could not run, the socket broke), if any. */
  readonly failure?: string;
}

/** Sends echo series. One pinger serves every ICMP check of a process (see `acquirePinger`). */
export interface Pinger {
  readonly backend: IcmpBackendName;
  echoSeries(request: EchoSeriesRequest): Promise<EchoSeriesResult>;
  /** Closes sockets; in-flight echoes end as lost. The pinger may be used again afterwards (it reopens). */
  close(): Promise<void>;
}

/** Resolves after `delayMs`, or at once when the signal aborts. */
export function delay(delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || delayMs <= 0) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
