// POST /logs/<name>: a request's records appended to the input log <name> in the job object's
// storage, as one batch: 200 only once it is durable (append resolves after the write, and the
// object's output gate holds the answer until the write is confirmed); a body that is refused
// appends nothing.
import type { InputLog } from '../../connectors/log/input-log.js';
import type { StorageOption } from '../../platform/resolve-storage.js';
import { bodyFormatOf, parseAppendBody, readLimitedBody } from './append-body.js';
import type { JobObjectHost } from './job-object-host.js';
import type { AppendHandler } from './job-object-routes.js';

export type OpenLog = (name: string, options: { storage: StorageOption }) => Promise<InputLog<unknown>>;

/** One handle per log and object: its appends queue behind each other instead of racing for the partition head. */
export function createAppendHandler(openLog: OpenLog): AppendHandler {
  const logs = new WeakMap<JobObjectHost, Map<string, Promise<InputLog<unknown>>>>();
  return async (host, name, request) => {
    const { maxBodyBytes, maxRecordsPerAppend, maxRecordBytes } = host.options;
    const text = await readLimitedBody(request, maxBodyBytes);
    const records = parseAppendBody(text, bodyFormatOf(request.headers.get('content-type')), { maxRecordsPerAppend, maxRecordBytes });
    let open = logs.get(host);
    if (open === undefined) logs.set(host, (open = new Map()));
    let log = open.get(name);
    if (log === undefined) {
      log = openLog(name, { storage: host.storage });
      open.set(name, log);
      log.catch(() => open!.delete(name)); // a bad name is not remembered
    }
    const offsets = await (await log).append(records);
    host.coordinator?.appended(name, offsets.partition, offsets[offsets.length - 1]! + 1);
    return Response.json({ log: name, partition: offsets.partition, appended: offsets.length, first: offsets[0], last: offsets[offsets.length - 1] });
  };
}
