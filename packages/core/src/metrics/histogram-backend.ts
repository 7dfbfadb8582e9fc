import { type Histogram, JsHistogram, WasmHistogram, build, initWebAssembly, initWebAssemblySync } from 'hdr-histogram-js';
import { VigilError } from '../errors/vigil-error.js';
import type { HistogramLayout } from './layout.js';
import { type SortedCounts, countsFromPayload, emptyCounts, payloadFromCounts } from './payload.js';
import type { HistogramBackend } from './types.js';

/**
 * What `auto` picks when WebAssembly is usable. Measured by packages/core/bench/recorder.bench.ts:
 * recordValue through the WebAssembly build is about 3x faster than the JS one.
 */
const preferredBackend: 'js' | 'wasm' = 'wasm';

// hdr-histogram-js holds one WebAssembly instance per process; this mirrors whether it is usable.
let webAssemblyState: 'untried' | 'ready' | 'unavailable' = 'untried';

/**
 * Instantiates hdr-histogram-js's WebAssembly build (once per process). Resolves true when
 * WebAssembly histograms can be used, false when the runtime lacks WebAssembly.
 */
export async function enableWebAssemblyHistograms(): Promise<boolean> {
  if (webAssemblyState === 'ready') return true;
  try {
    await initWebAssembly();
    webAssemblyState = 'ready';
  } catch {
    webAssemblyState = 'unavailable';
  }
  return webAssemblyState === 'ready';
}

function enableWebAssemblySync(): boolean {
  if (webAssemblyState === 'untried') {
    try {
      // Node compiles modules of any size synchronously (only browsers' main threads limit it).
      initWebAssemblySync();
      webAssemblyState = 'ready';
    } catch {
      webAssemblyState = 'unavailable';
    }
  }
  return webAssemblyState === 'ready';
}

/**
 * Checks a requested backend up front: `wasm` instantiates WebAssembly now and fails if it cannot.
 * `auto` waits until a series first needs a live histogram (most never do).
 */
export function checkBackend(requested: HistogramBackend): HistogramBackend {
  if (requested === 'wasm' && !enableWebAssemblySync()) {
    throw new VigilError('VIGIL_ERR_METRICS', '[core] metrics: WebAssembly histograms are not available in this runtime');
  }
  return requested;
}

// WebAssembly histograms live outside the JS heap: when an owner is collected without having
// released its histogram (an engine dropped without destroy()), free it then.
const orphanedHistograms = new FinalizationRegistry<Histogram>((histogram) => {
  try {
    histogram.destroy();
  } catch {
    // Already destroyed.
  }
});

/**
 * A live histogram for one busy series. 32-bit counts (the library's default); never `packed`,
 * whose counts silently go wrong past ~8.5M values. Starts small and auto-resizes to the largest
 * value seen, so a 1 s ceiling costs ~45 KB, not the ~94 KB of a fixed 1 h range.
 */
export function createLiveHistogram(backend: HistogramBackend, significantDigits: number, owner: object): Histogram {
  const useWebAssembly = backend === 'wasm' || (backend === 'auto' && preferredBackend === 'wasm' && enableWebAssemblySync());
  const histogram = build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: significantDigits as 1 | 2 | 3 | 4 | 5,
    useWebAssembly,
  });
  if (histogram instanceof WasmHistogram) orphanedHistograms.register(owner, histogram, owner);
  return histogram;
}

/** Frees a live histogram (WebAssembly memory included). */
export function releaseLiveHistogram(histogram: Histogram, owner: object): void {
  if (histogram instanceof WasmHistogram) {
    orphanedHistograms.unregister(owner);
    histogram.destroy();
  }
}

/** The non-empty buckets of a live histogram. */
export function liveHistogramCounts(histogram: Histogram, layout: HistogramLayout): SortedCounts {
  if (histogram.totalCount === 0) return emptyCounts;
  if (histogram instanceof JsHistogram) {
    const indices: number[] = [];
    const counts: number[] = [];
    let total = 0;
    const lastIndex = histogram.countsArrayIndex(histogram.maxValue);
    for (let index = 0; index <= lastIndex; index += 1) {
      const count = histogram.getCountAtIndex(index);
      if (count > 0) {
        indices.push(index);
        counts.push(count);
        total += count;
      }
    }
    return { indices, counts, total };
  }
  if (histogram instanceof WasmHistogram) {
    // The WebAssembly build exposes no counts, only its V2 (uncompressed) encoding.
    const encoded = histogram.encode();
    const view = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    const payloadLength = view.readInt32BE(4);
    return countsFromPayload(view.toString('latin1', 40, 40 + payloadLength), layout.maximumIndex);
  }
  throw new VigilError('VIGIL_ERR_METRICS', '[core] metrics: unknown histogram implementation');
}

/** A live histogram's counts as a (canonical) V2 counts payload. */
export function liveHistogramPayload(histogram: Histogram, layout: HistogramLayout): string {
  return payloadFromCounts(liveHistogramCounts(histogram, layout));
}
