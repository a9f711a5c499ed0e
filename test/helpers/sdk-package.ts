/**
 * `@tidemark/sdk` as an app gets it: `npm pack` (whose prepack builds dist/), then `npm install`
 * of the tarball into an empty app directory, offline (the package has no runtime dependencies).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type InstalledSdk = {
  /** The app directory; `node_modules/@tidemark/sdk` is the installed package. */
  readonly appDir: string;
  readonly tarball: string;
  /** What `npm pack` reported: the tarball's size in bytes and the files it ships. */
  readonly packedBytes: number;
  readonly unpackedBytes: number;
  readonly files: readonly string[];
};

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function packAndInstallSdk(): InstalledSdk {
  const root = mkdtempSync(join(tmpdir(), 'tidemark-sdk-app-'));
  const out = npm(['pack', '--json', '--pack-destination', root], 'sdk');
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as {
    filename: string;
    size: number;
    unpackedSize: number;
    files: { path: string }[];
  }[];
  const tarball = join(root, packed!.filename);
  const appDir = join(root, 'app');
  mkdirSync(appDir);
  writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'sdk-app', version: '1.0.0', private: true }));
  npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], appDir);
  return { appDir, tarball, packedBytes: packed!.size, unpackedBytes: packed!.unpackedSize, files: packed!.files.map((f) => f.path) };
}
