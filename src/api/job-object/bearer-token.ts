// The writer check of examples/cloudflare: `Authorization: Bearer <token>` against a secret,
// compared in constant time (both sides hashed first, so neither the length nor the first
// differing byte of the secret shows in the time taken).
const encoder = new TextEncoder();

/** Whether `request` carries `Authorization: Bearer <secret>`. A missing or empty secret authorizes nobody. */
export async function hasBearerToken(request: Request, secret: string | undefined): Promise<boolean> {
  if (typeof secret !== 'string' || secret === '') return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get('authorization') ?? '');
  const given = match?.[1] ?? '';
  const [a, b] = await Promise.all([digest(given), digest(secret)]);
  let difference = match === null ? 1 : 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}
