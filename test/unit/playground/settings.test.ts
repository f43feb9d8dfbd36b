import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeHash, lineColumn, rewriteImports } from '../../../playground/src/module-source.js';
import { applySettings, readSettings } from '../../../playground/src/settings.js';

const CODE = `import { job } from 'weir';
const NAME = 'live-feed'; // @setting job name
const RATE = 1_000; // @setting records per second
const KEYS = 8;
export default job(NAME, () => {});
`;

describe('playground settings', () => {
  it('readSettings finds the constants marked // @setting, with their labels and values', () => {
    assert.deepEqual(readSettings(CODE), [
      { name: 'NAME', label: 'job name', value: 'live-feed' },
      { name: 'RATE', label: 'records per second', value: 1000 },
    ]);
  });

  it('applySettings rewrites only the named settings, keeps numbers numbers and quotes strings', () => {
    const next = applySettings(CODE, { RATE: '250', NAME: "it's" });
    assert.match(next, /^const RATE = 250; \/\/ @setting records per second$/m);
    assert.match(next, /^const NAME = 'it\\'s'; \/\/ @setting job name$/m);
    assert.match(next, /^const KEYS = 8;$/m, 'an unmarked constant is left alone');
    assert.deepEqual(readSettings(next).map((s) => s.value), ["it's", 250]);
    assert.throws(() => applySettings(CODE, { RATE: 'fast' }), /RATE must be a number/);
  });
});

describe('playground job module source', () => {
  it("rewriteImports points 'weir' and 'playground' at served URLs and leaves other specifiers alone", () => {
    const code = `import { job } from 'weir';\nimport { failPoint } from "playground";\nimport x from 'weird';\nconst m = await import('weir');\nimport 'playground';`;
    const out = rewriteImports(code, { weir: 'http://h/weir.js', playground: 'http://h/playground.js' });
    assert.equal(out, `import { job } from 'http://h/weir.js';\nimport { failPoint } from "http://h/playground.js";\nimport x from 'weird';\nconst m = await import('http://h/weir.js');\nimport 'http://h/playground.js';`);
  });

  it('lineColumn and codeHash', () => {
    assert.deepEqual(lineColumn('ab\ncd\nef', 4), { line: 2, column: 2 });
    assert.equal(codeHash('a'), codeHash('a'));
    assert.notEqual(codeHash('a'), codeHash('b'));
  });
});
