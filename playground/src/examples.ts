/// <reference path="./raw-imports.d.ts" />
// The examples to start from. Each is a plain JavaScript job module (examples/*.js), bundled into
// the page as text (scripts/serve-playground.mjs loads `?raw` imports as strings).
import clicks from './examples/clicks.js?raw';
import counting from './examples/counting.js?raw';
import liveFeed from './examples/live-feed.js?raw';
import logFeed from './examples/log-feed.js?raw';
import sessions from './examples/sessions.js?raw';
import sseFeed from './examples/sse-feed.js?raw';
import windowedSum from './examples/windowed-sum.js?raw';
import wordcount from './examples/wordcount.js?raw';

export interface Example {
  readonly id: string;
  readonly title: string;
  readonly code: string;
}

export const EXAMPLES: readonly Example[] = [
  { id: 'counting', title: 'Counting (every number once)', code: counting },
  { id: 'wordcount', title: 'Word count', code: wordcount },
  { id: 'windowed-sum', title: '5-second windowed sum', code: windowedSum },
  { id: 'sessions', title: 'Sessions of click events', code: sessions },
  { id: 'live-feed', title: 'Live feed (settable rate)', code: liveFeed },
  { id: 'clicks', title: 'Clicks (the page\'s clicks via an input log)', code: clicks },
  { id: 'log-feed', title: 'Live feed via an input log', code: logFeed },
  { id: 'sse-feed', title: 'Live feed from the server (SSE)', code: sseFeed },
];

export const DEFAULT_EXAMPLE = EXAMPLES[0]!;

export function exampleById(id: string | null): Example | undefined {
  return EXAMPLES.find((e) => e.id === id);
}
