import { describe, expect, it } from 'vitest';
import { locateJsonError } from '../../../src/tools/json-locate.js';

describe('locateJsonError', () => {
  // [what, text, line, column, message, hint]
  const cases: [string, string, number, number, RegExp, RegExp | undefined][] = [
    ['a missing comma at a line end', '{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected "," or "}"/, /comma is probably missing/],
    ['a trailing comma in an object', '{\n  "a": 1,\n}', 3, 1, /trailing comma before "}"/, /remove the comma/],
    ['a trailing comma in an array', '{"a": [1, 2, ]}', 1, 14, /trailing comma before "]"/, /remove the comma/],
    ['a single backslash in a Windows path', '{"dataDir": "C:\\var"}', 1, 16, /invalid escape \\v/, /doubled/],
    ['a comment', '{\n  // pods\n  "a": 1\n}', 2, 3, /comments are not allowed/, /remove the comment/],
    ['single quotes', "{'a': 1}", 1, 2, /keys must be in double quotes/, /double quotes/],
    ['a capitalised literal', '{"a": True}', 1, 7, /unknown word True/, /lower case: true/],
    ['an unquoted address', '{"gw": 10.0.0.1}', 1, 12, /invalid number/, /double quotes/],
    ['an unterminated string', '{"a": "b}', 1, 7, /unterminated string/, /closing double quote/],
    ['a second document', '{"a": 1}\n{"b": 2}', 2, 1, /after the end of the document/, /second document/],
    ['an empty document', '  \n', 2, 1, /empty/, undefined],
  ];
  for (const [what, text, line, column, message, hint] of cases) {
    it(`finds ${what} at line ${line}, column ${column}`, () => {
      expect(() => JSON.parse(text)).toThrow();
      const e = locateJsonError(text);
      expect(e).toMatchObject({ line, column });
      expect(e?.message).toMatch(message);
      if (hint) expect(e?.hint).toMatch(hint);
      // The excerpt's caret sits under the column.
      const [, caret] = (e?.excerpt ?? '').split('\n');
      expect(caret?.indexOf('^')).toBe(column - 1);
    });
  }

  it('answers undefined for valid JSON, including escapes, numbers and nesting', () => {
    const text = '{"a": [1, -2.5e3, 0, true, false, null, "x\\"\\\\\\u00e9"], "b": {"c": {}}, "d": []}';
    expect(() => JSON.parse(text)).not.toThrow();
    expect(locateJsonError(text)).toBeUndefined();
  });
});
