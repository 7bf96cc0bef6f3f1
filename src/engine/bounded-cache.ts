// The memo the engine keeps of values many pods share (decisions, data planes, parsed annotations,
// parsed times): looked up by key, computed on a miss, and emptied when full, so that a cluster with
// unusually many distinct values costs recomputation, not memory.

/** `cache`'s value for `key`, computed (and kept) on a miss; the cache is emptied first when it holds `max`. */
export function cached<K, V>(cache: Map<K, V>, key: K, max: number, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    if (cache.size >= max) cache.clear();
    cache.set(key, value);
  }
  return value;
}
