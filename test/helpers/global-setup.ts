/** Runs once per `vitest` run, before any test file: unpacks the npm-shipped chromium so workers never race to write it. */
import { chromiumPath } from './browser.js';

export default async function setup(): Promise<void> {
  await chromiumPath();
}
