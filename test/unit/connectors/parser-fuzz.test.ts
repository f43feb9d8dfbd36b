import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineParser, type LineFormat, type ParsedRecord } from '../../../src/connectors/lines/line-formats.js';
import { LineSplitter } from '../../../src/connectors/lines/line-splitter.js';
import { parseCsvRecord } from '../../../src/connectors/lines/csv-record.js';
import { SseParser, SseSyntaxError, type ServerSentEvent } from '../../../src/connectors/sse/sse-parser.js';
import { decodeLogBatch, decodeLogHead, decodeLogMeta, decodeLogReader, encodeLogBatch, encodeLogHead, encodeLogMeta, encodeLogReader } from '../../../src/connectors/log/log-records.js';
import { isLogAppended } from '../../../src/connectors/log/log-wakeups.js';
import { encodeValue } from '../../../src/state/value-codec.js';
import { WeirError } from '../../../src/errors/index.js';
import { seededRandom } from '../../support/seeded-random.js';

// Seeded fuzzing of every parser of outside input this issue added (issue 17): random and mutated
// inputs, cut into random chunks. The only allowed outcomes are a parse (records, malformed
// records reported as such) or a WeirError with a code; the output must not depend on how the
// input was cut, and what a parser holds stays under its limit.

const CASES = 10_000;
const enc = new TextEncoder();
const ALPHABET = ['a', 'b', '1', ',', '"', '\n', '\r', ' ', '{', '}', ':', '[', ']', '\\', 'é', '😀', '\0', 'data: ', 'id: ', '__proto__', ':', '\r\n'];

function randomText(random: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

function mutate(random: () => number, text: string): string {
  let s = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (s.length + 1));
    const op = random();
    if (op < 0.4) s = s.slice(0, at) + randomText(random, 1 + Math.floor(random() * 3)) + s.slice(at);
    else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(random() * 3));
    else s = s.slice(0, at) + randomText(random, 1) + s.slice(at + 1);
  }
  return s;
}

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/** `bytes` cut at random places. */
function chunks(random: () => number, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * 17);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

function validDocument(random: () => number, format: LineFormat): string {
  const rows = Math.floor(random() * 6);
  const lines: string[] = [];
  if (format === 'csv') lines.push('a,b,"c ""q"""');
  for (let i = 0; i < rows; i++) {
    if (format === 'text') lines.push(randomText(random, Math.floor(random() * 10)).replace(/[\r\n]/g, ''));
    if (format === 'ndjson') lines.push(JSON.stringify({ i, s: randomText(random, 4), __proto__: { polluted: true } }));
    if (format === 'csv') lines.push(['x', `"${randomText(random, 4).replaceAll('"', '""')}"`, String(i)].join(','));
  }
  return lines.join(random() < 0.5 ? '\n' : '\r\n') + (random() < 0.5 ? '\n' : '');
}

function parseAll(format: LineFormat, pieces: readonly Uint8Array[], maxLineBytes: number): ParsedRecord[] {
  const splitter = new LineSplitter(0, maxLineBytes);
  const parser = new LineParser(format, { csvHeader: true, maxLineBytes }, { line: 0 });
  const items: ParsedRecord[] = [];
  const out = (r: ParsedRecord) => items.push(r);
  for (const piece of pieces) splitter.push(piece, (line) => parser.parse(line, out));
  splitter.finish((line) => parser.parse(line, out));
  parser.finish(splitter.offset, out);
  return items;
}

describe('parser fuzzing (seeded)', () => {
  for (const format of ['text', 'ndjson', 'csv'] as const) {
    it(`sources.lines '${format}': ${CASES} random and mutated inputs parse the same however cut, with offsets that cover the input and bounded records`, () => {
      const random = seededRandom(format.length * 7919);
      for (let c = 0; c < CASES; c++) {
        const kind = random();
        const bytes = kind < 0.2 ? randomBytes(random, Math.floor(random() * 200)) : enc.encode(kind < 0.6 ? mutate(random, validDocument(random, format)) : validDocument(random, format));
        const maxLineBytes = 8 + Math.floor(random() * 120);
        const whole = parseAll(format, [bytes], maxLineBytes);
        const cut = parseAll(format, chunks(random, bytes), maxLineBytes);
        assert.deepEqual(cut, whole, `case ${c}: the same records however the input is cut`);
        let last = 0;
        for (const item of whole) {
          assert.ok(item.end >= last && item.end <= bytes.length, `case ${c}: offsets move forward within the input`);
          last = item.end;
          if (item.kind === 'malformed') assert.ok(item.raw.length <= 1025, `case ${c}: a malformed record carries a bounded preview`);
          // A byte decodes to at most one UTF-16 unit (an invalid one to U+FFFD): units bound the bytes kept.
          if (item.kind === 'record' && format === 'text') assert.ok((item.value as string).length <= maxLineBytes, `case ${c}: no line longer than maxLineBytes`);
        }
        assert.ok(bytes.length === 0 || last === bytes.length, `case ${c}: the records' offsets cover the whole input (${last} of ${bytes.length})`);
      }
      assert.equal(({} as { polluted?: unknown }).polluted, undefined, 'no prototype was polluted');
    });
  }

  it(`CSV: ${CASES} random records written as RFC 4180 read back field for field`, () => {
    const random = seededRandom(4180);
    for (let c = 0; c < CASES; c++) {
      const fields = Array.from({ length: 1 + Math.floor(random() * 5) }, () => randomText(random, Math.floor(random() * 6)).replace(/\r/g, ''));
      const record = fields.map((f) => (/[",\n]/.test(f) || f === '' ? `"${f.replaceAll('"', '""')}"` : f)).join(',');
      assert.deepEqual(parseCsvRecord(record), fields, `case ${c}: ${JSON.stringify(record)}`);
    }
  });

  it(`SSE: ${CASES} random and mutated event streams dispatch the same events however cut, or fail with a syntax error only`, () => {
    const random = seededRandom(5151);
    const run = (pieces: readonly string[], max: number) => {
      const parser = new SseParser('', max);
      const events: ServerSentEvent[] = [];
      const retries: number[] = [];
      try {
        for (const p of pieces) parser.push(p, { event: (e) => events.push(e), retry: (ms) => retries.push(ms) });
        return { events, retries, error: undefined, lastEventId: parser.lastEventId };
      } catch (error) {
        assert.ok(error instanceof SseSyntaxError, `only a syntax error, got ${String(error)}`);
        return { events: undefined, retries: undefined, error: 'syntax', lastEventId: undefined };
      }
    };
    for (let c = 0; c < CASES; c++) {
      const valid = Array.from({ length: Math.floor(random() * 5) }, (_, i) => `id: ${i}\nevent: e${i}\ndata: ${randomText(random, 5).replace(/[\r\n]/g, '')}\nretry: ${i * 10}\n\n`).join('');
      const text = random() < 0.7 ? mutate(random, valid) : randomText(random, Math.floor(random() * 80));
      const max = 16 + Math.floor(random() * 64);
      const whole = run([text], max);
      const pieces: string[] = [];
      for (let at = 0; at < text.length;) {
        const size = 1 + Math.floor(random() * 9);
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      const cut = run(pieces, max);
      if (whole.error === undefined && cut.error === undefined) assert.deepEqual(cut, whole, `case ${c}: the same events however the stream is cut`);
      for (const e of whole.events ?? []) assert.ok(e.data.length <= max, `case ${c}: no event longer than the limit`);
    }
  });

  it(`input log records: ${CASES} mutated and random records decode or are refused with CORRUPT_DATA, never anything else`, () => {
    const random = seededRandom(777);
    const valid = [
      () => ({ bytes: encodeLogHead({ next: Math.floor(random() * 1000), ended: random() < 0.5 }), decode: (b: Uint8Array) => decodeLogHead(b, 'k') }),
      () => ({ bytes: encodeLogMeta({ partitions: 1 + Math.floor(random() * 8) }), decode: (b: Uint8Array) => decodeLogMeta(b, 'k') }),
      () => ({ bytes: encodeLogReader({ next: Math.floor(random() * 1000) }), decode: (b: Uint8Array) => decodeLogReader(b, 'k') }),
      () => {
        const records = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => ({ i, ['__proto__']: { x: i } }));
        return { bytes: encodeLogBatch(5, records.length, encodeValue(records)), decode: (b: Uint8Array) => decodeLogBatch(b, 'k', 5) };
      },
      () => {
        const parts = Array.from({ length: 2 + Math.floor(random() * 3) }, (_, p) => Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => ({ p, i })));
        return { bytes: encodeLogBatch(5, parts.flat().length, parts.map((part) => encodeValue(part))), decode: (b: Uint8Array) => decodeLogBatch(b, 'k', 5) };
      },
    ];
    let refused = 0;
    for (let c = 0; c < CASES; c++) {
      const { bytes, decode } = valid[Math.floor(random() * valid.length)]!();
      const input = random() < 0.2 ? randomBytes(random, Math.floor(random() * 64)) : bytes.slice();
      const flips = Math.floor(random() * 3);
      for (let f = 0; f < flips && input.length > 0; f++) input[Math.floor(random() * input.length)] ^= 1 << Math.floor(random() * 8);
      try {
        decode(input);
      } catch (error) {
        assert.ok(error instanceof WeirError && error.code === 'CORRUPT_DATA', `case ${c}: only CORRUPT_DATA, got ${String(error)}`);
        assert.equal(error.details.key, 'k', 'the error names the key');
        refused++;
      }
    }
    assert.ok(refused > CASES / 2, `most damaged records were refused (${refused})`);
    assert.equal(({} as { x?: unknown }).x, undefined);
  });

  it(`log wake-ups: ${CASES} random messages are judged without throwing`, () => {
    const random = seededRandom(99);
    const values = [null, undefined, 0, -1, 1.5, 2 ** 60, NaN, '', 'weir.log-appended', [], {}, { a: 1 }];
    for (let c = 0; c < CASES; c++) {
      const message: Record<string, unknown> = {};
      for (const key of ['kind', 'log', 'partition', 'next', '__proto__']) {
        if (random() < 0.8) message[key] = random() < 0.5 ? values[Math.floor(random() * values.length)] : key === 'kind' ? 'weir.log-appended' : key === 'log' ? 'x' : Math.floor(random() * 5);
      }
      assert.equal(typeof isLogAppended(random() < 0.1 ? values[Math.floor(random() * values.length)] : message), 'boolean');
    }
  });
});
