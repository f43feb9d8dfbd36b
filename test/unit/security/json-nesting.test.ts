import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonRecord } from '../../../src/connectors/json-record.js';
import { LineParser, type ParsedRecord } from '../../../src/connectors/lines/line-formats.js';
import { LineSplitter } from '../../../src/connectors/lines/line-splitter.js';
import { encodeValue, MAX_VALUE_DEPTH } from '../../../src/state/value-codec.js';

// JSON from outside nested deeper than the value codec stores (issue 17): as a record it could be
// neither checkpointed nor sent to another worker (structured clone recurses), so the job would
// fail on it after every restart. It is malformed input instead, reported like any bad line.

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('JSON nesting from outside', () => {
  it(`parses JSON up to ${MAX_VALUE_DEPTH} levels (which the codec stores) and refuses deeper, brackets in strings not counted`, () => {
    const atLimit = parseJsonRecord(nested(MAX_VALUE_DEPTH));
    assert.ok('value' in atLimit);
    assert.ok(encodeValue(atLimit.value).length > 0, 'what is accepted can be stored');
    assert.match((parseJsonRecord(nested(MAX_VALUE_DEPTH + 1)) as { error: string }).error, /nested deeper than 1000 levels/);
    assert.match((parseJsonRecord(`${'{"a":'.repeat(MAX_VALUE_DEPTH + 1)}0${'}'.repeat(MAX_VALUE_DEPTH + 1)}`) as { error: string }).error, /nested deeper/);
    const inString = JSON.stringify({ s: '['.repeat(5000) });
    assert.deepEqual(parseJsonRecord(inString), { value: { s: '['.repeat(5000) } });
    const proto = parseJsonRecord('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}') as { value: Record<string, unknown> };
    assert.ok(Object.hasOwn(proto.value, '__proto__') && ({} as { polluted?: unknown }).polluted === undefined);
  });

  it('an NDJSON line of 100,000 opening brackets is a malformed record, and the lines around it still parse', () => {
    const text = `{"a":1}\n${'['.repeat(100_000)}\n{"a":2}\n`;
    const splitter = new LineSplitter(0, 1 << 20);
    const parser = new LineParser('ndjson', { csvHeader: false, maxLineBytes: 1 << 20 }, { line: 0 });
    const out: ParsedRecord[] = [];
    splitter.push(new TextEncoder().encode(text), (line) => parser.parse(line, (r) => out.push(r)));
    splitter.finish((line) => parser.parse(line, (r) => out.push(r)));
    assert.deepEqual(out.map((r) => r.kind), ['record', 'malformed', 'record']);
    assert.match((out[1] as { error: string }).error, /nested deeper/);
    assert.deepEqual(out.filter((r) => r.kind === 'record').map((r) => (r as { value: unknown }).value), [{ a: 1 }, { a: 2 }]);
  });
});
