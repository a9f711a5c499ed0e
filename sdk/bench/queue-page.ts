/** The browser half of the queue benchmark: IndexedDB, the browser's default storage. */
import { indexedDbStorage } from '../src/storage/indexeddb.js';
import { measureTrackRates } from './measure.js';

(globalThis as { runBench?: () => Promise<unknown> }).runBench = () => measureTrackRates(indexedDbStorage(`tidemark-bench-${Date.now()}`));
