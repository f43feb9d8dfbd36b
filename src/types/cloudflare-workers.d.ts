// What Weir uses of workerd's built-in module (wrangler and Miniflare provide it at run time).
declare module 'cloudflare:workers' {
  export class DurableObject<Env = unknown> {
    constructor(ctx: unknown, env: Env);
  }
}
