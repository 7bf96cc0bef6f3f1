// BufferedPages (src/cluster/buffered-pages.ts): pages read ahead into a bounded queue before and while
// a reader takes them, in order and once each, the source's failure after the pages before it, and no
// reading past the bound or after close.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BufferedPages } from '../../src/cluster/buffered-pages.js';

/** A source of `pages` pages of `size` numbers, counting how many pages were taken from it. */
function source(pages: number, size: number, options: { failAt?: number } = {}) {
  const state = { taken: 0, finished: false };
  async function* generate(): AsyncGenerator<number[]> {
    try {
      for (let p = 0; p < pages; p++) {
        await sleep(1);
        if (p === options.failAt) throw new Error(`page ${p} failed`);
        state.taken++;
        yield Array.from({ length: size }, (_, i) => p * size + i);
      }
    } finally {
      state.finished = true;
    }
  }
  return { pages: generate(), state };
}

async function all(pages: AsyncIterable<number[]>): Promise<number[]> {
  const out: number[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}

describe('BufferedPages', () => {
  it('reads ahead before any reader, up to the bound and no further', async () => {
    const { pages, state } = source(20, 10);
    const buffered = new BufferedPages(pages, 35);
    await sleep(100);
    expect(state.taken).toBe(4); // 40 items queued: the page that crossed the bound is the last one taken
    expect(await all(buffered)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(state.taken).toBe(20);
    expect(state.finished).toBe(true);
  });

  it('once the reader has started, holds one page ahead of it at most', async () => {
    const { pages, state } = source(20, 10);
    const buffered = new BufferedPages(pages, 30);
    await sleep(60);
    expect(state.taken).toBe(3);
    let read = 0;
    for await (const page of buffered) {
      read++;
      expect(page).toHaveLength(10);
      await sleep(15); // slower than the source
      // The 3 early pages, then each page the reader has taken and one more.
      expect(state.taken, `after page ${read}`).toBeLessThanOrEqual(Math.max(3, read + 1));
    }
    expect(read).toBe(20);
  });

  it('yields every page once, in order, to a reader slower than the source', async () => {
    const { pages } = source(12, 5);
    const buffered = new BufferedPages(pages, 8);
    const out: number[] = [];
    for await (const page of buffered) {
      out.push(...page);
      await sleep(3);
    }
    expect(out).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it("passes the source's failure on after the pages read before it", async () => {
    const { pages } = source(10, 3, { failAt: 4 });
    const buffered = new BufferedPages(pages, 100);
    await sleep(50); // the failure has happened by now, before the reader starts
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const page of buffered) out.push(...page);
      })(),
    ).rejects.toThrow('page 4 failed');
    expect(out).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('close stops reading the source and ends its iteration', async () => {
    const { pages, state } = source(50, 1);
    const buffered = new BufferedPages(pages, 1_000);
    await sleep(20);
    buffered.close();
    const takenAtClose = state.taken;
    await sleep(50);
    expect(state.taken).toBeLessThanOrEqual(takenAtClose + 1);
    expect(state.finished).toBe(true);
    expect(await all(buffered)).toEqual([]);
  });

  it('a reader that stops early closes it', async () => {
    const { pages, state } = source(50, 2);
    const buffered = new BufferedPages(pages, 10);
    for await (const page of buffered) {
      expect(page).toEqual([0, 1]);
      break;
    }
    await sleep(30);
    expect(state.finished).toBe(true);
    expect(state.taken).toBeLessThan(50);
  });
});
