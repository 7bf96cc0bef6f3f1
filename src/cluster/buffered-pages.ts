// Pages of an async iterable read from now on into a bounded queue, so that a reader who starts later
// finds them waiting: the pod list starts while the base state it is audited against is still arriving
// (read-scope.ts). Until the reader starts, the queue holds at most `maxItems` items; once it is full,
// nothing more is read from the source until the reader takes a page (the source, a paged list, then
// keeps its one page in flight ahead and no more). Once the reader has started, at most one page waits
// for it: a reader slower than the source holds no more than it would reading the source itself. The
// source's failure reaches the reader after the pages read before it.
export class BufferedPages<T> implements AsyncIterable<T[]> {
  private readonly iterator: AsyncIterator<T[]>;
  private readonly queue: T[][] = [];
  private queued = 0;
  /** Items the queue may hold before the pump waits: maxItems, then 1 once the reader has started. */
  private limit: number;
  private ended = false;
  private closed = false;
  private failure: { error: unknown } | null = null;
  /** Resolves the reader's wait for a page (or the end), and the pump's wait for room. */
  private pageArrived: (() => void) | null = null;
  private roomMade: (() => void) | null = null;

  constructor(
    source: AsyncIterable<T[]>,
    maxItems: number,
  ) {
    this.limit = maxItems;
    this.iterator = source[Symbol.asyncIterator]();
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      while (!this.closed) {
        if (this.queued >= this.limit) {
          await new Promise<void>((resolve) => (this.roomMade = resolve));
          continue;
        }
        const step = await this.iterator.next();
        if (step.done || this.closed) break;
        this.queue.push(step.value);
        this.queued += step.value.length;
        this.wake();
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  /** Ends the reader's wait for a page. */
  private wake(): void {
    const arrived = this.pageArrived;
    this.pageArrived = null;
    arrived?.();
  }

  /** Ends the pump's wait for room. */
  private makeRoom(): void {
    const room = this.roomMade;
    this.roomMade = null;
    room?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T[], void, undefined> {
    this.limit = 1;
    try {
      for (;;) {
        const page = this.queue.shift();
        if (page) {
          this.queued -= page.length;
          this.makeRoom();
          yield page;
          continue;
        }
        if (this.ended) {
          if (this.failure) throw this.failure.error;
          return;
        }
        await new Promise<void>((resolve) => (this.pageArrived = resolve));
      }
    } finally {
      this.close();
    }
  }

  /** Stops reading the source (a page being read is dropped when it arrives) and lets go of the queue. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.queued = 0;
    this.makeRoom();
    // Queued behind a pending next() when there is one; the source's own close (aborting its requests) ends that.
    this.iterator.return?.().catch(() => undefined);
  }
}
