const { LocalCluster } = await import('./dist/src/index.js');
const c = new LocalCluster();
const r = [];
for (let i = 0; i < 2; i++) { const t1 = performance.now(); await c.status(); r.push(performance.now() - t1); }
console.log(r.map(x => x.toFixed(0)).join(' '));
