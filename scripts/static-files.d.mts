import type { IncomingMessage, ServerResponse } from 'node:http';
export function staticFiles(dir: string): (req: IncomingMessage, res: ServerResponse) => void;
