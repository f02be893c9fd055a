// Where a JSON document is broken, and why, in the words an operator needs. JSON.parse's messages
// differ between Node versions and often carry no position ("Unexpected token '}', ... is not valid
// JSON"), so on a parse failure this small scanner walks the text itself and reports the first
// error with its line and column, plus a hint for the mistakes hand-edited configs really contain:
// single backslashes in Windows paths, trailing commas, comments, a missing comma at a line end.

export interface JsonSyntaxError {
  /** Offset in the text (UTF-16 units). */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
  hint?: string;
  /** The offending line and a caret under the column. */
  excerpt: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly message: string,
    readonly hint?: string,
  ) {}
}

const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u']);

class Scanner {
  i = 0;
  constructor(private readonly s: string) {}

  fail(message: string, hint?: string, at: number = this.i): never {
    throw new Stop(at, message, hint);
  }

  private peek(): string | undefined {
    return this.s[this.i];
  }

  private describe(c: string | undefined): string {
    return c === undefined ? 'the end of the file' : JSON.stringify(c);
  }

  /** Skips whitespace; returns true when a line break was crossed. */
  ws(): boolean {
    let newline = false;
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r') this.i++;
      else if (c === '\n') {
        newline = true;
        this.i++;
      } else if (c === '/' && (this.s[this.i + 1] === '/' || this.s[this.i + 1] === '*')) {
        this.fail('comments are not allowed in JSON', 'remove the comment (containerd reads the file with a strict JSON parser)');
      } else return newline;
    }
  }

  document(): void {
    this.ws();
    if (this.peek() === undefined) this.fail('the document is empty', 'a conflist starts with {"cniVersion": ..., "name": ..., "plugins": [...]}');
    this.value();
    this.ws();
    if (this.peek() !== undefined) this.fail(`unexpected ${this.describe(this.peek())} after the end of the document`, 'is there a stray closing bracket, or a second document pasted below the first?');
  }

  private value(): void {
    const c = this.peek();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === "'") this.fail('strings must be in double quotes', "replace the single quotes ' with double quotes \"");
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      this.i += word.length;
      return;
    }
    if (word !== undefined && ['true', 'false', 'null'].includes(word.toLowerCase())) this.fail(`unknown word ${word}`, `JSON literals are lower case: ${word.toLowerCase()}`);
    if (word !== undefined) this.fail(`unknown word ${word}`, 'text values must be in double quotes');
    this.fail(`expected a value, found ${this.describe(c)}`);
  }

  private object(): void {
    this.i++; // {
    this.ws();
    if (this.peek() === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const c = this.peek();
      if (c === '}') this.fail('trailing comma before "}"', 'remove the comma after the last entry');
      if (c === "'") this.fail('keys must be in double quotes', "replace the single quotes ' with double quotes \"");
      if (c !== '"') this.fail(`expected a key in double quotes, found ${this.describe(c)}`);
      this.string();
      this.ws();
      if (this.peek() !== ':') this.fail(`expected ":" after the key, found ${this.describe(this.peek())}`);
      this.i++;
      this.ws();
      this.value();
      const crossed = this.ws();
      const n = this.peek();
      if (n === ',') {
        this.i++;
        continue;
      }
      if (n === '}') {
        this.i++;
        return;
      }
      this.fail(`expected "," or "}" after a value, found ${this.describe(n)}`, crossed || n === '"' ? 'a comma is probably missing at the end of the previous entry' : undefined);
    }
  }

  private array(): void {
    this.i++; // [
    this.ws();
    if (this.peek() === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.peek() === ']') this.fail('trailing comma before "]"', 'remove the comma after the last item');
      this.value();
      const crossed = this.ws();
      const n = this.peek();
      if (n === ',') {
        this.i++;
        continue;
      }
      if (n === ']') {
        this.i++;
        return;
      }
      this.fail(`expected "," or "]" after an item, found ${this.describe(n)}`, crossed || n === '"' || n === '{' ? 'a comma is probably missing at the end of the previous item' : undefined);
    }
  }

  private string(): void {
    const start = this.i;
    this.i++; // "
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unterminated string', 'a closing double quote is missing', start);
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\n' || c === '\r') this.fail('line break inside a string', 'a closing double quote is probably missing on this line');
      if (c < ' ') this.fail('control character inside a string', 'write it escaped, e.g. \\t for a tab');
      if (c === '\\') {
        const e = this.s[this.i + 1];
        if (e === undefined || !ESCAPES.has(e)) {
          this.fail(`invalid escape \\${e ?? ''} in a string`, 'a backslash must be doubled in JSON: write Windows paths as "C:\\\\k\\\\cni\\\\bin" (or use forward slashes)');
        }
        if (e === 'u' && !/^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) this.fail('invalid \\u escape: it needs four hex digits');
        this.i += e === 'u' ? 6 : 2;
        continue;
      }
      this.i++;
    }
  }

  private number(): void {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.i));
    if (m === null || m[0] === '-') this.fail('invalid number');
    this.i += (m as RegExpExecArray)[0].length;
    const next = this.peek();
    if (next !== undefined && /[0-9A-Za-z.]/.test(next)) this.fail(`invalid number (unexpected ${this.describe(next)})`, 'addresses and CIDRs are strings: put them in double quotes');
  }
}

/** Line, column and the line's text with a caret, for an offset. */
export function position(text: string, offset: number): { line: number; column: number; excerpt: string } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', offset);
  const lineText = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).replace(/\r$/, '');
  const column = offset - lineStart + 1;
  // Long lines (a minified conflist) are cut around the column so the caret stays visible.
  const from = Math.max(0, column - 60);
  const shown = (from > 0 ? '…' : '') + lineText.slice(from, from + 120).replaceAll('\t', ' ');
  const caret = ' '.repeat(column - 1 - from + (from > 0 ? 1 : 0)) + '^';
  return { line, column, excerpt: `${shown}\n${caret}` };
}

/** The first syntax error of `text`, or undefined when it is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxError | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const p = position(text, e.offset);
    return e.hint === undefined ? { offset: e.offset, ...p, message: e.message } : { offset: e.offset, ...p, message: e.message, hint: e.hint };
  }
}
