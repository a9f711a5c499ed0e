/**
 * The one way tests get a browser: chromium driven by playwright-core. Every browser test
 * (console, SDK in a page, CORS, OpenPanel web) launches through here, so where the binary comes
 * from is decided in one place.
 *
 * The binary comes from npm: `@sparticuz/chromium` ships a headless chromium inside the package
 * (brotli-compressed, linked only against glibc, libexpat and libgcc), so `npm install` is the whole
 * setup on a fresh machine. `CHROMIUM_PATH` overrides it with any other chromium.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Chromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/**
 * The package unpacks the binary into the temp directory on first use. Vitest's global setup calls
 * this once before any worker starts, so two browser test files never unpack it at the same time.
 */
export async function chromiumPath(): Promise<string> {
  return process.env.CHROMIUM_PATH || (await Chromium.executablePath());
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = await chromiumPath();
  // The package's fonts (unpacked beside the binary) rather than whatever the machine has, which may
  // be none: pages render, and screenshots look, the same on every machine.
  const env = process.env.CHROMIUM_PATH ? process.env : { ...process.env, FONTCONFIG_PATH: join(tmpdir(), 'fonts') };
  // Our own flags, not the package's Lambda set: that one turns off web security, which would hide CORS failures.
  return chromium.launch({ executablePath, env, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
