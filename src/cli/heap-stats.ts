// Benchmark diagnostics. With KUBECTL_INJECT_HEAP_STATS set, `status` writes one line to stderr once
// every pod is in the report: the heap the audit keeps at that point (after a full GC when node runs
// with --expose-gc). That is the memory that grows with the cluster; `npm run bench` divides it by the
// pod count. Peak RSS, which bench also reports, adds fixed costs (node, V8's young generation) and
// garbage whose amount depends on when V8 last collected.

export function heapStatsRequested(): boolean {
  return Boolean(process.env.KUBECTL_INJECT_HEAP_STATS);
}

export function writeHeapStats(pods: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const { heapUsed } = process.memoryUsage();
  process.stderr.write(`heap-stats: pods=${pods} heapUsed=${heapUsed} gc=${gc ? 'full' : 'none'}\n`);
}
