// tools/serve.mjs started as a script: it serves when node is started on it through a symlinked path (a clone under a
// symlinked folder, as tools/demo.sh passes its logical path), not only through its real path (#14 item 6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let tmp: string;
let site: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'attn-serve-'));
  site = path.join(tmp, 'site');
  symlinkSync(root, path.join(tmp, 'clone'), 'dir'); // the repository seen through a symlinked folder
  symlinkSync(path.join(root, 'tools/serve.mjs'), path.join(tmp, 'serve-link.mjs')); // the script itself symlinked
  // A site of its own: index.html (which the server checks for) and a file to fetch.
  mkdirSync(site);
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(site, 'mark.txt'), 'served through a symlink\n');
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill();
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts node on `script` serving the temporary site on a free port; resolves to its URL once it prints it, or
 * rejects with what it printed if it exits first. */
function start(script: string, cwd: string): Promise<string> {
  const child = spawn(process.execPath, [script, '--dir', site, '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/\S+\/)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code} without serving; it printed: ${JSON.stringify(out)}`)));
  });
}

describe('tools/serve.mjs as a script', () => {
  it.each([
    ['through a symlinked folder, absolute path', () => [path.join(tmp, 'clone/tools/serve.mjs'), tmp]],
    ['through a symlinked folder, relative path', () => ['tools/serve.mjs', path.join(tmp, 'clone')]],
    ['through a symlink to the script', () => [path.join(tmp, 'serve-link.mjs'), tmp]],
    ['through its real path', () => [path.join(root, 'tools/serve.mjs'), root]],
  ])('serves %s', async (_name, args) => {
    const [script, cwd] = args();
    const url = await start(script, cwd);
    const res = await fetch(`${url}mark.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('served through a symlink\n');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
