/**
 * The queue benchmark (sdk/README.md): `npx tsx sdk/bench/queue.ts` measures Node (the file log)
 * and chromium (IndexedDB; the page is the bench bundled by esbuild, launched the way tests launch
 * chromium). Prints one markdown table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from '../../test/helpers/browser.js';
import { fileStorage } from '../src/storage/file.js';
import { measureTrackRates, type Rate } from './measure.js';

async function inNode(): Promise<Rate[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-sdk-bench-'));
  try {
    return await measureTrackRates(fileStorage(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inChromium(): Promise<Rate[]> {
  const built = await build({
    entryPoints: [fileURLToPath(new URL('./queue-page.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'error',
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    // IndexedDB needs an origin: the page is served at a made-up one, and never leaves the browser.
    await page.route('http://bench.invalid/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><script>${built.outputFiles[0]!.text.replaceAll('</script', '<\\/script')}</script>`,
      }),
    );
    await page.goto('http://bench.invalid/');
    return (await page.evaluate('runBench()')) as Rate[];
  } finally {
    await browser.close();
  }
}

const rows: [string, Rate[]][] = [
  ['Node (file log)', await inNode()],
  ['chromium (IndexedDB)', await inChromium()],
];
console.log('| platform | tracks/s at 0 queued | at 5,000 | at 10,000 | 10,000 vs 0 |');
console.log('|---|---|---|---|---|');
for (const [platform, rates] of rows) {
  const [zero, five, ten] = rates.map((r) => r.tracksPerSecond) as [number, number, number];
  console.log(`| ${platform} | ${zero} | ${five} | ${ten} | ${(zero / ten).toFixed(2)}x the time per track |`);
}
