/**
 * Builds dist/: ESM (dist/esm) and CommonJS (dist/cjs, marked by its own package.json) from the
 * same sources, one output file per source file, with declarations beside each. esbuild
 * transpiles; tsc only writes declarations. Runs from any working directory.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
if (!readFileSync(join(src, 'version.ts'), 'utf8').includes(`'${version}'`))
  throw new Error(`src/version.ts does not say ${version}, the package.json version`);

const sources = readdirSync(src, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(src, file));

rmSync(dist, { recursive: true, force: true });
const common = { entryPoints: sources, outbase: src, bundle: false, platform: 'neutral', target: 'es2020', logLevel: 'warning' };
await build({ ...common, outdir: join(dist, 'esm'), format: 'esm' });
await build({ ...common, outdir: join(dist, 'cjs'), format: 'cjs' });
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
// The same declarations serve both formats; under dist/cjs they are read as CommonJS.
cpSync(join(dist, 'esm'), join(dist, 'cjs'), { recursive: true, filter: (path) => !path.endsWith('.js') });
