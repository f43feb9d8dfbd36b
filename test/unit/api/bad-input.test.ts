// Wrong arguments to every public function: each gives an INVALID_ARGUMENT (or INVALID_GRAPH)
// error that names the argument, before anything runs; and bad input never costs output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { job, run, readTable, sources, sinks, ManualClock, type DataStream, type JobHandle, type StreamEnvironment } from 'weir';
import { bad, namesArgument, uniqueJobName, waitUntil } from './api-test-helpers.js';

const numbers = (env: StreamEnvironment): DataStream<number> => env.fromSource(sources.fromElements([1, 2, 3]));

/** run() of a job whose build function misuses the API must reject, naming the argument. */
async function rejectsInBuild(build: (env: StreamEnvironment) => void, argument: string, code?: 'INVALID_ARGUMENT' | 'INVALID_GRAPH'): Promise<void> {
  await assert.rejects(run(job(uniqueJobName('bad-build'), build)), namesArgument(argument, code));
}

/** A valid job, for the options of run() and for the handle. */
const validJob = () => job(uniqueJobName('bad-run'), (env) => numbers(env).sinkTo(sinks.table('out')));

describe('job() refuses what cannot be a job', () => {
  it('rejects names that are empty, not strings, too long or with characters outside letters, digits, . _ -', () => {
    const build = () => {};
    for (const name of ['', '   ', 'my job', 'a/b', '-leading-dash', 'a'.repeat(129), 'émoji']) {
      assert.throws(() => job(name, build), namesArgument('job(name)'), `name ${JSON.stringify(name)}`);
    }
    for (const name of [42, null, undefined, {}]) assert.throws(() => job(bad(name), build), namesArgument('job(name)'));
  });

  it('rejects a build that is not a function', () => {
    for (const build of [undefined, null, 42, 'env => {}', {}]) {
      assert.throws(() => job('a-good-name', bad(build)), namesArgument('job(name, build)'));
    }
  });

  it('accepts the longest valid name and returns a frozen definition', () => {
    const name = 'a'.repeat(128);
    const build = () => {};
    const definition = job(name, build);
    assert.deepEqual({ ...definition }, { kind: 'weir.job', name, build });
    assert.equal(Object.isFrozen(definition), true);
  });
});

describe('StreamEnvironment refuses bad settings', () => {
  it('setParallelism refuses 0, 1.5, the string "2", NaN and anything above 32768', async () => {
    for (const value of [0, -1, 1.5, '2', Number.NaN, 32769, Infinity]) {
      await rejectsInBuild((env) => {
        env.setParallelism(bad(value));
        numbers(env).sinkTo(sinks.print());
      }, 'setParallelism(parallelism)');
    }
  });

  it('setMaxParallelism refuses 0, 2.5, a string and anything above 32768', async () => {
    for (const value of [0, 2.5, '128', 32769, null]) {
      await rejectsInBuild((env) => {
        env.setMaxParallelism(bad(value));
        numbers(env).sinkTo(sinks.print());
      }, 'setMaxParallelism(maxParallelism)');
    }
  });

  it('enableCheckpointing refuses an interval of 0, -1, NaN, Infinity or a string, and an unknown mode', async () => {
    for (const value of [0, -1, Number.NaN, Infinity, '1000']) {
      await rejectsInBuild((env) => {
        env.enableCheckpointing(bad(value));
        numbers(env).sinkTo(sinks.print());
      }, 'enableCheckpointing(intervalMs)');
    }
    for (const mode of ['exactly_once', 'x', 42, null]) {
      await rejectsInBuild((env) => {
        env.enableCheckpointing(1000, bad(mode));
        numbers(env).sinkTo(sinks.print());
      }, 'enableCheckpointing(intervalMs, mode)');
    }
  });

  it('fromSource refuses what is not a source (a sink, an array, an object, null)', async () => {
    for (const value of [null, undefined, {}, [1, 2], sinks.print(), 'sequence', { kind: 'weir.sink' }]) {
      await rejectsInBuild((env) => {
        env.fromSource(bad(value)).sinkTo(sinks.print());
      }, 'fromSource(source)');
    }
  });

  it('fromSource refuses an unknown option key, a non-object options and bad uid, name or parallelism', async () => {
    const source = () => sources.fromElements([1]);
    const cases: [unknown, string][] = [
      [{ parralelism: 2 }, 'fromSource(source, options).parralelism'],
      ['fast', 'fromSource(source, options)'],
      [[1], 'fromSource(source, options)'],
      [{ parallelism: 0 }, 'fromSource(source, options).parallelism'],
      [{ parallelism: 2.5 }, 'fromSource(source, options).parallelism'],
      [{ uid: '' }, 'fromSource(source, options).uid'],
      [{ uid: 7 }, 'fromSource(source, options).uid'],
      [{ name: '' }, 'fromSource(source, options).name'],
    ];
    for (const [options, argument] of cases) {
      await rejectsInBuild((env) => {
        env.fromSource(source(), bad(options)).sinkTo(sinks.print());
      }, argument);
    }
  });
});

describe('DataStream and KeyedStream refuse bad arguments', () => {
  const notFunctions = [undefined, null, 42, 'x => x', {}];

  it('map, filter, flatMap, process and keyBy refuse what is not a function', async () => {
    const methods: [string, (s: DataStream<number>, fn: never) => unknown][] = [
      ['map(fn)', (s, fn) => s.map(fn)],
      ['filter(fn)', (s, fn) => s.filter(fn)],
      ['flatMap(fn)', (s, fn) => s.flatMap(fn)],
      ['process(fn)', (s, fn) => s.process(fn)],
      ['keyBy(keySelector)', (s, fn) => s.keyBy(fn)],
    ];
    for (const [argument, call] of methods) {
      for (const value of notFunctions) {
        await rejectsInBuild((env) => {
          const stream = numbers(env);
          call(stream, bad(value));
          stream.sinkTo(sinks.print());
        }, argument);
      }
    }
  });

  it('process refuses an object without a processElement function', async () => {
    for (const value of [{ processElement: 42 }, { onTimer: () => {} }, { process: () => {} }]) {
      await rejectsInBuild((env) => numbers(env).process(bad(value)).sinkTo(sinks.print()), 'process(fn)');
      await rejectsInBuild((env) => numbers(env).keyBy((n) => n).process(bad(value)).sinkTo(sinks.print()), 'process(fn)');
    }
  });

  it('reduce and keyed process refuse what is not a function', async () => {
    for (const value of notFunctions) {
      await rejectsInBuild((env) => numbers(env).keyBy((n) => n).reduce(bad(value)).sinkTo(sinks.print()), 'reduce(fn)');
      await rejectsInBuild((env) => numbers(env).keyBy((n) => n).process(bad(value)).sinkTo(sinks.print()), 'process(fn)');
    }
  });

  it('sum, min and max refuse a field that is not a non-empty string', async () => {
    for (const method of ['sum', 'min', 'max'] as const) {
      for (const field of [5, undefined, null, {}, '', (r: { v: number }) => r.v]) {
        await rejectsInBuild((env) => {
          const keyed = env.fromSource(sources.fromElements([{ k: 'a', v: 1 }])).keyBy((r) => r.k);
          keyed[method](bad(field)).sinkTo(sinks.print());
        }, `${method}(field)`);
      }
    }
  });

  it('union refuses what is not a stream, naming its position, and a stream of another job', async () => {
    await rejectsInBuild((env) => numbers(env).union(bad(42)).sinkTo(sinks.print()), 'union(streams[0])');
    await rejectsInBuild((env) => {
      const a = numbers(env);
      a.union(numbers(env), bad({ producers: [] })).sinkTo(sinks.print());
    }, 'union(streams[1])');
    await rejectsInBuild((env) => numbers(env).union(bad(sources.fromElements([4]))).sinkTo(sinks.print()), 'union(streams[0])');

    let foreign: DataStream<number> | undefined;
    await assert.rejects(run(job(uniqueJobName('foreign-stream'), (env) => {
      foreign = numbers(env);
      foreign.sinkTo(sinks.print());
      throw new Error('only here to capture a stream');
    })));
    assert.ok(foreign !== undefined);
    await rejectsInBuild((env) => numbers(env).union(foreign!).sinkTo(sinks.print()), 'union(streams[0])');
  });

  it("uid refuses '' and a non-string, and applies only to an operator (not to a union, rebalance or broadcast)", async () => {
    for (const id of ['', '  ', 42, null]) {
      await rejectsInBuild((env) => numbers(env).map((n) => n).uid(bad(id)).sinkTo(sinks.print()), 'uid(id)');
    }
    await rejectsInBuild((env) => numbers(env).union(numbers(env)).uid('merged').sinkTo(sinks.print()), 'uid(id)');
    await rejectsInBuild((env) => numbers(env).rebalance().uid('spread').sinkTo(sinks.print()), 'uid(id)');
    await rejectsInBuild((env) => numbers(env).broadcast().uid('everywhere').sinkTo(sinks.print()), 'uid(id)');
  });

  it('name and setParallelism refuse bad values, and apply only to an operator', async () => {
    await rejectsInBuild((env) => numbers(env).map((n) => n).name(bad('')).sinkTo(sinks.print()), 'name(name)');
    await rejectsInBuild((env) => numbers(env).map((n) => n).name(bad(3)).sinkTo(sinks.print()), 'name(name)');
    await rejectsInBuild((env) => numbers(env).union(numbers(env)).name('merged').sinkTo(sinks.print()), 'name(name)');
    for (const value of [0, 1.5, '2', 32769]) {
      await rejectsInBuild((env) => numbers(env).map((n) => n).setParallelism(bad(value)).sinkTo(sinks.print()), 'setParallelism(parallelism)');
    }
    await rejectsInBuild((env) => numbers(env).union(numbers(env)).setParallelism(2).sinkTo(sinks.print()), 'setParallelism(parallelism)');
    await rejectsInBuild((env) => numbers(env).sinkTo(sinks.print()).setParallelism(0), 'setParallelism(parallelism)');
  });

  it('sinkTo refuses what is not a sink and an unknown or bad option', async () => {
    for (const value of [null, undefined, {}, sources.fromElements([1]), (v: unknown) => v, 'print']) {
      await rejectsInBuild((env) => numbers(env).sinkTo(bad(value)), 'sinkTo(sink)');
    }
    const cases: [unknown, string][] = [
      [{ parallelism: 2 }, 'sinkTo(sink, options).parallelism'],
      [{ uuid: 'x' }, 'sinkTo(sink, options).uuid'],
      ['table', 'sinkTo(sink, options)'],
      [{ uid: '' }, 'sinkTo(sink, options).uid'],
      [{ name: 9 }, 'sinkTo(sink, options).name'],
    ];
    for (const [options, argument] of cases) {
      await rejectsInBuild((env) => numbers(env).sinkTo(sinks.print(), bad(options)), argument);
    }
  });
});

describe('bad records fail the job at run time with an error that names the operator call', () => {
  for (const method of ['sum', 'min', 'max'] as const) {
    it(`${method}('v') on a record whose v is not a number rejects done (restart 'none')`, async () => {
      const name = uniqueJobName(`bad-${method}`);
      const records = [{ k: 'a', v: 1 }, { k: 'a', v: '2' }];
      const handle = await run(job(name, (env) => {
        env.fromSource(sources.fromElements(records)).keyBy((r) => r.k)[method](bad('v')).sinkTo(sinks.table('out'));
      }), { restart: { strategy: 'none' } });
      await assert.rejects(handle.done, (error: unknown) => {
        const e = error as { code?: string; message?: string };
        assert.equal(e.code, 'INVALID_ARGUMENT', String(e.message));
        assert.match(String(e.message), new RegExp(`${method}\\('v'\\)`));
        assert.match(String(e.message), /the string "2"/);
        return true;
      });
      assert.equal(handle.status(), 'failed');
      assert.deepEqual(await readTable(name, 'out'), []);
    });
  }

  it("sum('v') refuses the key's first record too, when v is missing", async () => {
    const name = uniqueJobName('bad-sum-first');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.fromElements([{ k: 'a', w: 1 }])).keyBy((r) => r.k).sum(bad('v')).sinkTo(sinks.table('out'));
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.match(String(e.message), /sum\('v'\).*undefined, not a number/);
      return true;
    });
  });

  it('a key selector that returns an object fails the job, naming keyBy(keySelector)', async () => {
    const handle = await run(job(uniqueJobName('bad-key'), (env) => {
      numbers(env).keyBy((n) => bad({ n })).reduce((a, b) => a + b).sinkTo(sinks.print({ log: () => {} }));
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, namesArgument('keyBy(keySelector)'));
  });

  it('a non-keyed process function that registers a timer fails the job: timers need keyBy', async () => {
    const handle = await run(job(uniqueJobName('bad-timer'), (env) => {
      numbers(env).process((n, ctx, out) => {
        ctx.timerService.registerProcessingTimeTimer(n + 1000);
        out.collect(n);
      }).uid('no-keys').sinkTo(sinks.print({ log: () => {} }));
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.match(String(e.message), /no-keys/);
      assert.match(String(e.message), /keyBy/);
      return true;
    });
  });
});

describe('sources and sinks refuse bad options', () => {
  it('sources.sequence refuses a missing from, to < from, non-integers, a rate of 0 and unknown keys', () => {
    const cases: [unknown, string][] = [
      [undefined, 'sources.sequence(options).from'],
      [{}, 'sources.sequence(options).from'],
      [{ to: 10 }, 'sources.sequence(options).from'],
      [{ from: '0', to: 10 }, 'sources.sequence(options).from'],
      [{ from: 1.5, to: 10 }, 'sources.sequence(options).from'],
      [{ from: 5, to: 4 }, 'sources.sequence(options).to'],
      [{ from: 0, to: 2.5 }, 'sources.sequence(options).to'],
      [{ from: 0, to: Number.NaN }, 'sources.sequence(options).to'],
      [{ from: 0, to: 10, ratePerSecond: 0 }, 'sources.sequence(options).ratePerSecond'],
      [{ from: 0, to: 10, ratePerSecond: -5 }, 'sources.sequence(options).ratePerSecond'],
      [{ from: 0, to: 10, ratePerSecond: Infinity }, 'sources.sequence(options).ratePerSecond'],
      [{ from: 0, to: 10, step: 2 }, 'sources.sequence(options).step'],
      [5, 'sources.sequence(options)'],
      [null, 'sources.sequence(options)'],
    ];
    for (const [options, argument] of cases) {
      assert.throws(() => sources.sequence(bad(options)), namesArgument(argument), JSON.stringify(options));
    }
  });

  it('sources.fromElements refuses a non-iterable and a string', () => {
    for (const items of [42, 'abc', '', null, undefined, { length: 2, 0: 'a', 1: 'b' }, true]) {
      assert.throws(() => sources.fromElements(bad(items)), namesArgument('sources.fromElements(items)'), JSON.stringify(items));
    }
  });

  it('sinks.table refuses an empty or non-string name, a bad key and unknown option keys', () => {
    for (const name of ['', '  ', 42, null]) assert.throws(() => sinks.table(bad(name)), namesArgument('sinks.table(name)'));
    for (const key of [42, '', null, true, {}]) {
      assert.throws(() => sinks.table('t', bad({ key })), namesArgument('sinks.table(name, options).key'), JSON.stringify(key));
    }
    assert.throws(() => sinks.table('t', bad({ keys: 'id' })), namesArgument('sinks.table(name, options).keys'));
    assert.throws(() => sinks.table('t', bad('id')), namesArgument('sinks.table(name, options)'));
  });

  it('sinks.print refuses unknown option keys and a non-object options', () => {
    assert.throws(() => sinks.print(bad({ colour: true })), namesArgument('sinks.print(options).colour'));
    assert.throws(() => sinks.print(bad('> ')), namesArgument('sinks.print(options)'));
  });

  it('sinks.print refuses a log that is not a function and a prefix that is not a string', () => {
    assert.throws(() => sinks.print(bad({ log: 'console' })), namesArgument('sinks.print(options).log'));
    assert.throws(() => sinks.print(bad({ prefix: 42 })), namesArgument('sinks.print(options).prefix'));
  });
});

describe('run() refuses bad options before anything runs', () => {
  const cases: [string, unknown, string][] = [
    ['a misspelt key', { parralelism: 2 }, 'run(job, options).parralelism'],
    ['options that are not an object', 'fast', 'run(job, options)'],
    ['parallelism 0', { parallelism: 0 }, 'run(job, options).parallelism'],
    ['parallelism 1.5', { parallelism: 1.5 }, 'run(job, options).parallelism'],
    ['parallelism above 32768', { parallelism: 32769 }, 'run(job, options).parallelism'],
    ['checkpointing without intervalMs', { checkpointing: {} }, 'run(job, options).checkpointing.intervalMs'],
    ['checkpointing: true', { checkpointing: true }, 'run(job, options).checkpointing'],
    ['checkpointing.intervalMs 0', { checkpointing: { intervalMs: 0 } }, 'run(job, options).checkpointing.intervalMs'],
    ["checkpointing.mode 'x'", { checkpointing: { intervalMs: 100, mode: 'x' } }, 'run(job, options).checkpointing.mode'],
    ['an unknown checkpointing key', { checkpointing: { intervalMs: 100, interval: 5 } }, 'run(job, options).checkpointing.interval'],
    ['checkpointing.timeoutMs 0', { checkpointing: { intervalMs: 100, timeoutMs: 0 } }, 'run(job, options).checkpointing.timeoutMs'],
    ['checkpointing.retained 0', { checkpointing: { intervalMs: 100, retained: 0 } }, 'run(job, options).checkpointing.retained'],
    ['an unknown restart strategy', { restart: { strategy: 'sometimes' } }, 'run(job, options).restart.strategy'],
    ['a restart without a strategy', { restart: {} }, 'run(job, options).restart.strategy'],
    ['fixed-delay without attempts', { restart: { strategy: 'fixed-delay', delayMs: 10 } }, 'run(job, options).restart.attempts'],
    ['fixed-delay without delayMs', { restart: { strategy: 'fixed-delay', attempts: 3 } }, 'run(job, options).restart.delayMs'],
    ['fixed-delay with attempts -1', { restart: { strategy: 'fixed-delay', attempts: -1, delayMs: 10 } }, 'run(job, options).restart.attempts'],
    ['exponential-delay with maxDelayMs < initialDelayMs', { restart: { strategy: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 50 } }, 'run(job, options).restart.maxDelayMs'],
    ['exponential-delay without initialDelayMs', { restart: { strategy: 'exponential-delay', maxDelayMs: 50 } }, 'run(job, options).restart.initialDelayMs'],
    ['an unknown restart key', { restart: { strategy: 'none', retries: 3 } }, 'run(job, options).restart.retries'],
    ["resume 'x'", { resume: 'x' }, 'run(job, options).resume'],
    ['storage 42', { storage: 42 }, 'run(job, options).storage'],
    ['storage that is an incomplete object', { storage: { putChunk() {} } }, 'run(job, options).storage'],
    ["executor 'x'", { executor: 'x' }, 'run(job, options).executor'],
    ['network.batchSize 0', { network: { batchSize: 0 } }, 'run(job, options).network.batchSize'],
    ['an unknown network key', { network: { batch: 5 } }, 'run(job, options).network.batch'],
    ['network that is not an object', { network: 5 }, 'run(job, options).network'],
    ['a clock without now()', { clock: {} }, 'run(job, options).clock'],
    ['metricsIntervalMs 0', { metricsIntervalMs: 0 }, 'run(job, options).metricsIntervalMs'],
    ['allowNonRestoredState that is not a boolean', { allowNonRestoredState: 'yes' }, 'run(job, options).allowNonRestoredState'],
    ['network.binary that is not a boolean', { network: { binary: 'yes' } }, 'run(job, options).network.binary'],
    ['createWorker that is not a function', { createWorker: 42 }, 'run(job, options).createWorker'],
    ['jobModule that is neither a URL nor a string', { jobModule: 42 }, 'run(job, options).jobModule'],
    ['heartbeat that is not an object', { heartbeat: 1000 }, 'run(job, options).heartbeat'],
    ['an unknown heartbeat key', { heartbeat: { every: 1000 } }, 'run(job, options).heartbeat.every'],
    ['heartbeat.intervalMs 0', { heartbeat: { intervalMs: 0 } }, 'run(job, options).heartbeat.intervalMs'],
    ['heartbeat.timeoutMs not above intervalMs', { heartbeat: { intervalMs: 100, timeoutMs: 100 } }, 'run(job, options).heartbeat.timeoutMs'],
  ];
  for (const [what, options, argument] of cases) {
    it(`rejects ${what}, naming ${argument}`, async () => {
      await assert.rejects(run(validJob(), bad(options)), namesArgument(argument));
    });
  }

  it('names the real option path when a restart option does not belong to the chosen strategy', async () => {
    await assert.rejects(run(validJob(), bad({ restart: { strategy: 'none', attempts: 3 } })), namesArgument('run(job, options).restart.attempts'));
    await assert.rejects(run(validJob(), bad({ restart: { strategy: 'fixed-delay', attempts: 1, delayMs: 1, maxDelayMs: 5 } })), namesArgument('run(job, options).restart.maxDelayMs'));
  });

  it('refuses a job that is neither a job definition nor a module URL', async () => {
    for (const value of [42, null, undefined, {}, { name: 'x', build: () => {} }, '']) {
      await assert.rejects(run(bad(value)), namesArgument('run(job)'));
    }
  });

  it('refuses a job module URL that cannot be loaded', async () => {
    await assert.rejects(run('file:///no/such/weir-job-module.js'), namesArgument('run(job)'));
  });

  it('refuses bad options before it touches the job storage: a rejected run leaves an existing table as it was', async () => {
    const name = uniqueJobName('bad-run-keeps-table');
    const first = await run(job(name, (env) => numbers(env).sinkTo(sinks.table('out'))));
    await first.done;
    assert.deepEqual(await readTable(name, 'out'), [1, 2, 3]);
    // The same job again, with a bad option and resume 'none' (which would clear the job's data).
    await assert.rejects(run(job(name, (env) => numbers(env).sinkTo(sinks.table('out'))), bad({ resume: 'none', parallelism: 0 })), namesArgument('run(job, options).parallelism'));
    assert.deepEqual(await readTable(name, 'out'), [1, 2, 3]);
  });
});

describe('every INVALID_ARGUMENT error can be matched on .argument', () => {
  it('carries .argument (as InvalidArgumentError does) for a bad job name, an unavailable executor or storage, and an unloadable module', async () => {
    const argumentOf = async (attempt: () => unknown): Promise<unknown> => {
      try {
        await attempt();
      } catch (error) {
        const e = error as { code?: string; argument?: unknown };
        assert.equal(e.code, 'INVALID_ARGUMENT');
        return e.argument;
      }
      assert.fail('expected an error');
    };
    assert.deepEqual(
      [
        await argumentOf(() => job('my job', () => {})),
        await argumentOf(() => run(validJob(), { executor: 'workers' })),
        await argumentOf(() => run(validJob(), { storage: 'indexeddb' })),
        await argumentOf(() => readTable('some-job', 'out', { storage: 'indexeddb' })),
        await argumentOf(() => run('file:///no/such/weir-job-module.js')),
      ],
      ['job(name)', 'run(job, options).executor', 'run(job, options).storage', 'readTable(jobName, table, options).storage', 'run(job)'],
    );
  });
});

describe('readTable() refuses bad arguments', () => {
  it('rejects an empty or non-string job name', async () => {
    for (const name of ['', '  ', 42, null]) await assert.rejects(readTable(bad(name), 'out'), namesArgument('readTable(jobName)'));
  });

  it('rejects an empty or non-string table', async () => {
    for (const table of ['', 42, undefined]) await assert.rejects(readTable('some-job', bad(table)), namesArgument('readTable(jobName, table)'));
  });

  it('rejects bad storage, unknown option keys and non-object options', async () => {
    await assert.rejects(readTable('some-job', 'out', bad({ storage: 42 })), namesArgument('readTable(jobName, table, options).storage'));
    await assert.rejects(readTable('some-job', 'out', bad({ storage: 'disk' })), namesArgument('readTable(jobName, table, options).storage'));
    await assert.rejects(readTable('some-job', 'out', bad({ store: 'memory' })), namesArgument('readTable(jobName, table, options).store'));
    await assert.rejects(readTable('some-job', 'out', bad('memory')), namesArgument('readTable(jobName, table, options)'));
  });
});

describe('graph validation refuses a job that cannot run, naming the culprit', () => {
  it('refuses a job without a sink', async () => {
    const name = uniqueJobName('no-sink');
    await assert.rejects(run(job(name, (env) => void numbers(env).map((n) => n * 2))), (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'INVALID_GRAPH');
      assert.match(String(e.message), /no sink/);
      assert.ok(String(e.message).includes(name));
      return true;
    });
  });

  it('refuses a job without a source', async () => {
    await assert.rejects(run(job(uniqueJobName('no-source'), () => {})), (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'INVALID_GRAPH');
      assert.match(String(e.message), /no source/);
      return true;
    });
  });

  it('refuses two operators with the same uid, naming the uid', async () => {
    await assert.rejects(run(job(uniqueJobName('dup-uid'), (env) => {
      numbers(env).map((n) => n).uid('twice').filter(() => true).uid('twice').sinkTo(sinks.print());
    })), (error: unknown) => {
      const e = error as { code?: string; message?: string; details?: { uid?: string } };
      assert.equal(e.code, 'INVALID_GRAPH');
      assert.match(String(e.message), /'twice'/);
      assert.equal(e.details?.uid, 'twice');
      return true;
    });
    // A source and a sink may collide too.
    await assert.rejects(run(job(uniqueJobName('dup-uid-ends'), (env) => {
      env.fromSource(sources.fromElements([1]), { uid: 'ends' }).sinkTo(sinks.print(), { uid: 'ends' });
    })), namesArgument("'ends'", 'INVALID_GRAPH'));
  });

  it("refuses an operator whose parallelism is above the job's maxParallelism, naming the operator", async () => {
    await assert.rejects(run(job(uniqueJobName('too-wide'), (env) => {
      env.setMaxParallelism(4);
      numbers(env).map((n) => n).uid('wide-map').setParallelism(8).sinkTo(sinks.print());
    })), (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'INVALID_GRAPH');
      assert.match(String(e.message), /'wide-map'/);
      assert.match(String(e.message), /maxParallelism 4/);
      return true;
    });
    // The run's default parallelism counts too (the default maxParallelism is 128).
    await assert.rejects(run(job(uniqueJobName('too-wide-default'), (env) => {
      env.fromSource(sources.fromElements([1]), { uid: 'wide-source' }).sinkTo(sinks.print());
    }), { parallelism: 129 }), (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'INVALID_GRAPH');
      assert.match(String(e.message), /'wide-source'.*129.*128/);
      return true;
    });
  });

  it("refuses a build function that throws, with the thrown message in the error's", async () => {
    await assert.rejects(run(job(uniqueJobName('build-throws'), () => {
      throw new Error('the config file is missing');
    })), namesArgument('the config file is missing', 'INVALID_GRAPH'));
    await assert.rejects(run(job(uniqueJobName('build-throws-string'), () => {
      throw 'plain string thrown';
    })), namesArgument('plain string thrown', 'INVALID_GRAPH'));
  });
});

describe('JobHandle refuses bad arguments and bad input loses nothing', () => {
  /** A job held still by a manual clock: its source emits one number per millisecond of that clock. */
  async function heldJob(name: string, clock: ManualClock, lines: string[]): Promise<JobHandle> {
    return run(job(name, (env) => {
      const doubled = env.fromSource(sources.sequence({ from: 0, to: 5, ratePerSecond: 1000 })).map((n) => n * 2);
      doubled.sinkTo(sinks.table('out'));
      doubled.sinkTo(sinks.print({ log: (line) => lines.push(line) }));
    }), { clock });
  }

  it("injectFailure refuses worker -1, 1.5, an unknown key and non-object options, and the job is not harmed", async () => {
    const name = uniqueJobName('bad-inject');
    const clock = new ManualClock(0);
    const lines: string[] = [];
    const handle = await heldJob(name, clock, lines);
    const restarts: unknown[] = [];
    handle.on('restart', (e) => restarts.push(e));
    await waitUntil(() => lines.length === 1, 'the first record was printed');
    assert.throws(() => handle.injectFailure({ worker: -1 }), namesArgument('injectFailure(options).worker'));
    assert.throws(() => handle.injectFailure({ worker: 1.5 }), namesArgument('injectFailure(options).worker'));
    assert.throws(() => handle.injectFailure(bad({ workers: 0 })), namesArgument('injectFailure(options).workers'));
    assert.throws(() => handle.injectFailure(bad(0)), namesArgument('injectFailure(options)'));
    assert.equal(handle.status(), 'running');
    clock.advance(10);
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    assert.equal(result.restarts, 0);
    assert.deepEqual(restarts, []);
    assert.deepEqual(await readTable(name, 'out'), [0, 2, 4, 6, 8]);
  });

  it("on refuses an unknown event and a listener that is not a function, and the job still finishes with the right output", async () => {
    const name = uniqueJobName('bad-on');
    const clock = new ManualClock(0);
    const lines: string[] = [];
    const handle = await heldJob(name, clock, lines);
    const statuses: string[] = [];
    assert.throws(() => handle.on(bad('nope'), () => {}), namesArgument('on(event)'));
    assert.throws(() => handle.on(bad('Status'), () => {}), namesArgument('on(event)'));
    assert.throws(() => handle.on('status', bad('x')), namesArgument('on(event, listener)'));
    assert.throws(() => handle.on('checkpoint', bad(undefined)), namesArgument('on(event, listener)'));
    handle.on('status', (s) => statuses.push(s));
    await waitUntil(() => lines.length === 1, 'the first record was printed');
    assert.equal(handle.status(), 'running');
    clock.advance(10);
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    assert.deepEqual(statuses, ['finished']);
    assert.deepEqual(await readTable(name, 'out'), [0, 2, 4, 6, 8]);
    assert.deepEqual(lines, ['0', '2', '4', '6', '8']);
  });
});
