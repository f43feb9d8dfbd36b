// The body of POST /logs/<name> (a door from the network): what parses, and what is refused
// with which status and message — always before anything could be appended.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppendRefused, bodyFormatOf, parseAppendBody, readLimitedBody } from '../../../src/api/job-object/append-body.js';
import { namespaceOf, validateJobObjectOptions } from '../../../src/api/job-object/job-object-options.js';
import { hasBearerToken } from '../../../src/api/job-object/bearer-token.js';

const limits = { maxRecordsPerAppend: 5, maxRecordBytes: 40 };
const refused = (status: number, message: RegExp, details: Record<string, unknown> = {}) => (error: unknown) => {
  assert.ok(error instanceof AppendRefused, String(error));
  assert.equal(error.status, status);
  assert.equal(error.code, 'INVALID_ARGUMENT');
  assert.match(error.message, message);
  for (const [k, v] of Object.entries(details)) assert.equal(error.details[k], v, k);
  return true;
};

describe('POST /logs body', () => {
  it('reads a JSON array and NDJSON (blank lines and CRLF allowed), by Content-Type or by its shape', () => {
    assert.deepEqual(parseAppendBody('[1, {"a": 2}, "x"]', 'json', limits), [1, { a: 2 }, 'x']);
    assert.deepEqual(parseAppendBody('{"a":1}\r\n\n[1,2]\n"s"\n', 'ndjson', limits), [{ a: 1 }, [1, 2], 's']);
    assert.deepEqual(parseAppendBody(' [1,2] ', undefined, limits), [1, 2], 'sniffed: one array');
    assert.deepEqual(parseAppendBody('[1]\n[2]', undefined, limits), [[1], [2]], 'sniffed: not one array, so lines');
    assert.equal(bodyFormatOf('application/json; charset=utf-8'), 'json');
    for (const t of ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'APPLICATION/X-NDJSON']) assert.equal(bodyFormatOf(t), 'ndjson');
    assert.equal(bodyFormatOf('text/plain'), undefined);
    assert.equal(bodyFormatOf(null), undefined);
  });

  it('keeps __proto__ and constructor keys as plain data and pollutes no prototype', () => {
    const [record] = parseAppendBody('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}', 'ndjson', { ...limits, maxRecordBytes: 200 }) as Record<string, unknown>[];
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.deepEqual(Object.keys(record!), ['__proto__', 'constructor']);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  it('refuses a malformed body with 400 naming the problem: the record index and line of a bad NDJSON line', () => {
    assert.throws(() => parseAppendBody('{"a":1}\n\n{oops\n{"b":2}', 'ndjson', limits), refused(400, /^body: record 1 \(line 3\) is not valid JSON/, { recordIndex: 1, line: 3 }));
    assert.throws(() => parseAppendBody('[1, 2', 'json', limits), refused(400, /^body: is not valid JSON/));
    assert.throws(() => parseAppendBody('{"a":1}', 'json', limits), refused(400, /must be a JSON array of records/));
    assert.throws(() => parseAppendBody('  \n \n', undefined, limits), refused(400, /holds no records/));
    assert.throws(() => parseAppendBody('[]', 'json', limits), refused(400, /holds no records/));
  });

  it('refuses JSON nested deeper than the value codec stores with 400 (the log would refuse it later, after the answer)', () => {
    const deep = `${'['.repeat(1_001)}${']'.repeat(1_001)}`;
    const roomy = { maxRecordsPerAppend: 5, maxRecordBytes: 10_000 };
    assert.throws(() => parseAppendBody(`[${deep}]`, 'json', roomy), refused(400, /nested deeper than 1000 levels/));
    assert.throws(() => parseAppendBody(`1\n${deep}\n`, 'ndjson', roomy), refused(400, /record 1 \(line 2\).*nested deeper/, { recordIndex: 1, line: 2 }));
    const ok = `${'['.repeat(999)}${']'.repeat(999)}`;
    assert.equal(parseAppendBody(`${ok}\n`, 'ndjson', roomy).length, 1);
  });

  it('refuses a record over maxRecordBytes with 400 naming its index, and more than maxRecordsPerAppend records with 413', () => {
    const big = JSON.stringify({ text: 'x'.repeat(40) });
    assert.throws(() => parseAppendBody(`[1, 2, ${big}]`, 'json', limits), refused(400, /^body: record 2 is \d+ bytes of JSON; a record holds at most 40 \(maxRecordBytes\)/, { recordIndex: 2 }));
    assert.throws(() => parseAppendBody(`1\n${big}`, 'ndjson', limits), refused(400, /^body: record 1 \(line 2\) is/, { recordIndex: 1 }));
    assert.throws(() => parseAppendBody('[1,2,3,4,5,6]', 'json', limits), refused(413, /more than 5 records \(maxRecordsPerAppend\)/));
    assert.throws(() => parseAppendBody('1\n2\n3\n4\n5\n6', 'ndjson', limits), refused(413, /more than 5 records/));
    assert.equal(parseAppendBody('1\n2\n3\n4\n5', 'ndjson', limits).length, 5, 'exactly the limit is fine');
  });

  it('reads a body up to maxBodyBytes, and refuses a longer one with 413 by Content-Length or while streaming; non-UTF-8 with 400', async () => {
    assert.equal(await readLimitedBody(new Request('http://x/', { method: 'POST', body: '[1,2]' }), 5), '[1,2]');
    await assert.rejects(readLimitedBody(new Request('http://x/', { method: 'POST', body: '[1,2,3]' }), 5), refused(413, /larger than 5 bytes \(maxBodyBytes\)/));
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({ pull: (c) => void (pulled++, c.enqueue(new Uint8Array(1000))) });
    await assert.rejects(readLimitedBody(new Request('http://x/', { method: 'POST', body: endless, duplex: 'half' } as RequestInit), 10_000), refused(413, /maxBodyBytes/));
    assert.ok(pulled <= 12, `stopped reading an endless body soon after the limit (${pulled} chunks)`);
    await assert.rejects(readLimitedBody(new Request('http://x/', { method: 'POST', body: new Uint8Array([0x5b, 0xff, 0x5d]) }), 100), refused(400, /not UTF-8/));
  });
});

describe('jobObject options', () => {
  it('are checked when the class is made, naming the option', () => {
    const check = (options: unknown, argument: string) => assert.throws(() => validateJobObjectOptions(options), (e: { code?: string; message: string }) => e.code === 'INVALID_ARGUMENT' && e.message.startsWith(`${argument}:`));
    check({ maxBodyBytes: 0 }, 'jobObject(job, options).maxBodyBytes');
    check({ maxRecordBytes: 2 << 20 }, 'jobObject(job, options).maxRecordBytes');
    check({ storage: 'memory' }, 'jobObject(job, options).storage');
    check({ executor: 'workers' }, 'jobObject(job, options).executor');
    check({ checkpointing: { intervalMs: -1 } }, 'run(job, options).checkpointing.intervalMs');
    check({ binding: 42 }, 'jobObject(job, options).binding');
    const ok = validateJobObjectOptions({ parallelism: 2, maxRecordsPerAppend: 7 });
    assert.deepEqual({ ...ok, run: { ...ok.run } }, { run: { parallelism: 2 }, binding: undefined, maxBodyBytes: 1 << 20, maxRecordsPerAppend: 7, maxRecordBytes: 256 * 1024, alarmIntervalMs: 30_000 });
  });
});

describe('the binding of a job object with shards', () => {
  const isNamespace = (v: unknown): v is { getByName(): unknown } => typeof (v as { getByName?: unknown } | null)?.getByName === 'function';
  const ns = { getByName: () => undefined };
  const refusedBinding = (message: RegExp) => (e: { code?: string; message: string }) => e.code === 'INVALID_ARGUMENT' && e.message.startsWith('jobObject(job, options).binding: ') && message.test(e.message);

  it('is the named one, or the env\'s only namespace', () => {
    assert.equal(namespaceOf({ A: ns, TOKEN: 'x' }, 'A', isNamespace).namespace, ns);
    assert.deepEqual(namespaceOf({ ONLY: ns, TOKEN: 'x' }, undefined, isNamespace), { name: 'ONLY', namespace: ns });
  });

  it('missing, not a namespace or ambiguous: a clear error naming the option and the fix', () => {
    assert.throws(() => namespaceOf({ TOKEN: 'x' }, 'EVENTS', isNamespace), refusedBinding(/env\.EVENTS is not a Durable Object namespace \(got undefined\); name the binding of this class in wrangler\.toml/));
    assert.throws(() => namespaceOf({ EVENTS: 'x' }, 'EVENTS', isNamespace), refusedBinding(/env\.EVENTS is not a Durable Object namespace/));
    assert.throws(() => namespaceOf({ TOKEN: 'x' }, undefined, isNamespace), refusedBinding(/has no Durable Object namespace/));
    assert.throws(() => namespaceOf(undefined, undefined, isNamespace), refusedBinding(/has no Durable Object namespace/));
    assert.throws(() => namespaceOf({ A: ns, B: ns }, undefined, isNamespace), refusedBinding(/has 2 Durable Object namespaces \(A, B\); say which is this class's with options\.binding/));
  });
});

describe('hasBearerToken', () => {
  const request = (authorization?: string) => new Request('http://x/', authorization === undefined ? {} : { headers: { authorization } });
  it('accepts exactly `Bearer <secret>` and nothing else; an empty or missing secret accepts nobody', async () => {
    assert.equal(await hasBearerToken(request('Bearer s3cret'), 's3cret'), true);
    assert.equal(await hasBearerToken(request('bearer   s3cret '), 's3cret'), true);
    for (const header of [undefined, '', 'Bearer', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 's3cret', 'Bearer s3cret extra']) {
      assert.equal(await hasBearerToken(request(header), 's3cret'), false, String(header));
    }
    assert.equal(await hasBearerToken(request('Bearer '), ''), false);
    assert.equal(await hasBearerToken(request('Bearer x'), undefined), false);
  });
});
