// Is this text an IP address, and of which family? The syntax check of node:net's isIP, without
// node:net: requiring that module loads net and the stream machinery (~3 ms of every plugin start)
// for one regular expression. Zone IDs (`fe80::1%eth0`) are refused: no HNS or CNI field takes one.

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function isV4(text: string): boolean {
  return ipv4Value(text) !== undefined;
}

/** The 32-bit value of a dotted-quad IPv4 address (no leading zeros, as Go's net.ParseIP), else undefined. */
export function ipv4Value(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => V4_PART.test(p))) return undefined;
  return parts.reduce((v, p) => v * 256 + Number(p), 0);
}

function isV6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const all = [...head, ...tail];
  // An embedded IPv4 address may only end the text (not precede a `::`), and counts as two groups.
  let count = all.length;
  const endsText = halves.length === 2 ? tail.length > 0 : head.length > 0;
  const last = all[all.length - 1];
  if (endsText && last !== undefined && last.includes('.')) {
    if (!isV4(last)) return false;
    all.pop();
    count++;
  }
  if (!all.every((g) => V6_GROUP.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** 4 or 6 by the address's written form (an IPv4-mapped IPv6 address is 6), 0 when it is no address. */
export function ipFamilyOf(text: string): 0 | 4 | 6 {
  if (text.length === 0 || text.length > 45) return 0;
  if (text.includes(':')) return isV6(text) ? 6 : 0;
  return isV4(text) ? 4 : 0;
}
