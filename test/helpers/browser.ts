/**
 * The one way tests get a browser: chromium driven by playwright-core. Every browser test
 * (console, SDK in a page, CORS, OpenPanel web) launches through here, so where the binary comes
 * from is decided in one place.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));

function chromiumPath(): string {
  const found = CHROMIUM_CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error(`No chromium at ${CHROMIUM_CANDIDATES.join(', ')}: install Debian's (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH.`);
  return found;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
