import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ID_HINTS_FILE, readIdHints, writeIdHints } from '../../../src/bridge/id-hints.js';

const NET = '5f0b1190-63be-4e0c-b974-bd0f55675a42';
const GW = 'b39a0f52-6c1e-4d7a-8e25-91f0c3d4a6b7';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
function fresh(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'id-hints-'));
  return dir;
}

describe('ID hints', () => {
  it('reads back what was written', () => {
    const d = fresh();
    writeIdHints(d, { network: NET, gateway: GW });
    expect(readIdHints(d)).toEqual({ network: NET, gateway: GW });
    expect(fs.readdirSync(d)).toEqual([ID_HINTS_FILE]); // no temporary file left behind
  });

  it.each([
    ['no file', undefined, {}],
    ['not JSON (a torn or foreign file)', '{"network":"5f0b', {}],
    ['not an object', '[1,2]', {}],
    ['null', 'null', {}],
    ['a value that is no GUID', JSON.stringify({ network: '../../x', gateway: GW }), { gateway: GW }],
    ['a number', JSON.stringify({ network: 5, gateway: GW }), { gateway: GW }],
  ])('gives no hint it cannot trust: %s', (_what, content, hints) => {
    const d = fresh();
    if (content !== undefined) fs.writeFileSync(path.join(d, ID_HINTS_FILE), content);
    expect(readIdHints(d)).toEqual(hints);
  });

  it('ignores a folder it cannot write to: it is only a hint', () => {
    const d = fresh();
    expect(() => writeIdHints(path.join(d, 'missing', '\0bad'), { network: NET })).not.toThrow();
  });
});
