function fmix32(h) { h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16; return h >>> 0; }
function stringHash(s) { let h = 0x811c9dc5; for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); } return h; }
function keyHash(key) { switch (typeof key) { case 'string': return fmix32(stringHash(key)); case 'number': return fmix32(key | 0); default: throw new Error(); } }
const words = []; for (let i = 0; i < 1000; i++) words.push(Math.random().toString(36).slice(2, 10));
const recs = []; for (let i = 0; i < 1024; i++) recs.push({ word: words[i % 1000], count: 1 });
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const sel = (r) => r.word;
function run(label, body) { body(); const t = cpu(); let s = 0; for (let k = 0; k < 5000; k++) s += body(); console.log(label, ((cpu() - t) * 1e6 / (5000 * 1024)).toFixed(1), 'ns/rec', s & 1); }
run('hash only', () => { let s = 0; for (let i = 0; i < 1024; i++) s += keyHash(sel(recs[i])) % 128; return s; });
const cache = new Map(); 
run('map cache', () => { let s = 0; for (let i = 0; i < 1024; i++) { const k = sel(recs[i]); let g = cache.get(k); if (g === undefined) cache.set(k, g = keyHash(k) % 128); s += g; } return s; });
run('push x3 fresh', () => { const a = [], b = [], c = []; for (let i = 0; i < 1024; i++) { const r = recs[i]; const k = sel(r); a.push(r); b.push(k); c.push(keyHash(k) % 128); } return a.length; });
run('prealloc x3', () => { const a = new Array(1024), b = new Array(1024), c = new Array(1024); for (let i = 0; i < 1024; i++) { const r = recs[i]; const k = sel(r); a[i] = r; b[i] = k; c[i] = keyHash(k) % 128; } return a.length; });
const maps = []; for (let g = 0; g < 128; g++) maps.push(new Map());
run('state lookup', () => { let s = 0; for (let i = 0; i < 1024; i++) { const k = recs[i].word; const m = maps[keyHash(k) % 128]; let e = m.get(k); if (!e) m.set(k, e = { value: 0, v: 1 }); e.value++; s += e.value; } return s; });
run('spread', () => { let s = 0; for (let i = 0; i < 1024; i++) { const o = { ...recs[i] }; o.count = o.count + 1; s += o.count; } return s; });
run('literal', () => { let s = 0; for (let i = 0; i < 1024; i++) { const r = recs[i]; const o = { word: r.word, count: r.count + 1 }; s += o.count; } return s; });
