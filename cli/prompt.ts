/** Asks a question on the terminal and reads the answer without echoing it, as `sudo` and `ssh` do for secrets. */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export async function promptWithoutEcho(question: string): Promise<string> {
  process.stderr.write(question);
  // The answer is typed into a sink: readline echoes what it reads to its output, and this one shows nothing.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve) => reader.question('', resolve));
  } finally {
    reader.close();
    process.stderr.write('\n');
  }
}
