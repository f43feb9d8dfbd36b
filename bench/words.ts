/** `count` distinct pseudo-random 8-letter words, the same in every run and every thread (no imports: job modules use it too). */
export function distinctWords(count: number): string[] {
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const words = new Set<string>();
  while (words.size < count) {
    let w = '';
    for (let i = 0; i < 8; i++) w += String.fromCharCode(97 + (next() % 26));
    words.add(w);
  }
  return [...words];
}
