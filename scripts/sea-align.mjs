// Puts each V8 code cache embedded in the Linux executable at an 8-byte boundary of its memory.
//
// V8 copies a code cache that is not 8-byte aligned before reading it: for the FFI bundle's cache
// that is ~430 KB of fresh memory, ~110 page faults, on every start. A SEA asset lands wherever the
// blob's layout puts it, so each cache is embedded framed (src/launcher.ts, unframeCache): byte 0
// holds the number of padding bytes that follow, then comes the cache. An ELF file is mapped at
// page granularity, so a file offset that is a multiple of 8 is an address that is one.
//
// usage: node scripts/sea-align.mjs frame CACHE FRAMED
//          writes FRAMED from CACHE, keeping the padding of the FRAMED already there (the layout
//          rarely moves between builds), else with none
//        node scripts/sea-align.mjs check BINARY FRAMED...
//          finds each framed cache in BINARY; exit 0 when all are aligned, else rewrites the FRAMED
//          files with the padding that aligns them and exits 3 (make the blob and inject again)

import fs from 'node:fs';

const ALIGN = 8;
/** Enough of a cache to find it in the executable without a false match (its header and more). */
const PROBE = 4096;

function frame(cache, pad) {
  return Buffer.concat([Buffer.from([pad]), Buffer.alloc(pad), cache]);
}

function unframe(framed) {
  return { pad: framed[0], cache: framed.subarray(1 + framed[0]) };
}

function writeFrame(file, cache, pad) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, frame(cache, pad));
  fs.renameSync(tmp, file);
}

function main([mode, ...args]) {
  if (mode === 'frame' && args.length === 2) {
    const [cacheFile, framedFile] = args;
    let pad = 0;
    try {
      pad = fs.readFileSync(framedFile)[0] % ALIGN;
    } catch {
      // First build: no padding yet.
    }
    writeFrame(framedFile, fs.readFileSync(cacheFile), pad);
    return 0;
  }
  if (mode === 'check' && args.length >= 2) {
    const [binaryFile, ...framedFiles] = args;
    const binary = fs.readFileSync(binaryFile);
    const assets = framedFiles.map((file) => {
      const { pad, cache } = unframe(fs.readFileSync(file));
      const probe = cache.subarray(0, PROBE);
      const at = binary.indexOf(probe);
      if (at < 0) throw new Error(`${file}: its cache is not in ${binaryFile}`);
      if (binary.indexOf(probe, at + 1) >= 0) throw new Error(`${file}: its cache's first ${PROBE} bytes occur twice in ${binaryFile}`);
      return { file, pad, cache, at };
    });
    // In the order they lie in the blob: a new padding moves every asset after it.
    assets.sort((a, b) => a.at - b.at);
    let shift = 0;
    let moved = false;
    for (const a of assets) {
      const pad = (((a.pad - (a.at + shift)) % ALIGN) + ALIGN) % ALIGN;
      if (pad === a.pad) continue;
      writeFrame(a.file, a.cache, pad);
      shift += pad - a.pad;
      moved = true;
    }
    return moved ? 3 : 0;
  }
  console.error('usage: node scripts/sea-align.mjs frame CACHE FRAMED | check BINARY FRAMED...');
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`sea-align: ${e.message}`);
  process.exitCode = 1;
}
