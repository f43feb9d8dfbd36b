// "Download savepoint" and "Start from savepoint…": a savepoint of the running job saved as a
// file, and a run of the editor's code that starts from a savepoint file the user picks (taken in
// this page, or in Node, Deno or a Durable Object: the archive is the same everywhere).
import { readSavepoint, type JobHandle } from 'weir';

export interface SavepointButtonElements {
  readonly download: HTMLElement;
  readonly start: HTMLElement;
  readonly file: HTMLInputElement;
}

export interface SavepointButtonHooks {
  /** The running job's handle, if a job runs. */
  handle(): JobHandle | undefined;
  log(line: string): void;
  /** Runs the editor's code from the savepoint's bytes (a refusal shows beside the editor). */
  run(savepoint: Uint8Array): Promise<void>;
  failed(message: string, error: unknown): void;
}

export function savepointButtons(el: SavepointButtonElements, on: SavepointButtonHooks): void {
  const download = el.download as HTMLButtonElement;
  // Enabled while a job runs: polled with the page's own render tick would need main.ts; a timer is enough here.
  setInterval(() => void (download.disabled = on.handle() === undefined), 250);
  download.addEventListener('click', () => void (async () => {
    const handle = on.handle();
    if (handle === undefined) return;
    download.disabled = true;
    try {
      on.log('take a savepoint');
      const bytes = await handle.savepoint();
      const checkpoint = readSavepoint(bytes).checkpointId;
      const name = `${handle.jobName}-${checkpoint}.weirsp`;
      on.log(`savepoint of checkpoint ${checkpoint}: ${bytes.length} bytes, saved as ${name}`);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    } catch (error) {
      on.failed(`the savepoint was not taken: ${error instanceof Error ? error.message : String(error)}`, error);
    } finally {
      download.disabled = on.handle() === undefined;
    }
  })());
  el.start.addEventListener('click', () => el.file.click());
  el.file.addEventListener('change', () => void (async () => {
    const file = el.file.files?.[0];
    el.file.value = '';
    if (file === undefined) return;
    on.log(`start from savepoint ${file.name} (${file.size} bytes)`);
    await on.run(new Uint8Array(await file.arrayBuffer()));
  })());
}
