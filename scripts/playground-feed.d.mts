import type { IncomingMessage, ServerResponse } from 'node:http';
export function feedEvent(n: number): { n: number; sensor: string; value: number };
export function feedHandler(): (req: IncomingMessage, res: ServerResponse) => boolean;
