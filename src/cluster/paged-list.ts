// A list read page by page with the next page already on its way. An API server sends a list's
// metadata (and so its continue token) before its items: the next page is requested as soon as that
// token has arrived, while the current page is still arriving and being parsed, so the server's work
// and the round trip overlap ours. At most one page is in flight ahead of the one being read; its
// response waits in socket buffers (the splitter reads only what the consumer asks for), so memory
// stays bounded.
//
// Guarantees: no item is yielded twice (not when a page is retried mid-response, not when an expired
// continue token restarts the list); the next page always continues from the token of the attempt
// whose items were yielded (a retried page can end elsewhere than the failed attempt announced: its
// early request is then dropped and sent again with the right token).
import type { ApiClient, ListPageOptions } from './api-client.js';
import { afterNextTicks, ApiError } from './api-client.js';
import type { Projection } from './list-splitter.js';

export interface PagedListOptions<T> {
  path: string;
  query: Record<string, string | undefined>;
  /** Items per page; 0 or less: no limit (one page). */
  pageSize: number;
  projection?: Projection;
  /** The item's identity (no two items of a list share it) and what is yielded for it. */
  parseItem: (json: string) => { key: string; value: T };
  /** Aborting stops every request of the list (the source closes). */
  signal?: AbortSignal;
  /** See ListPageOptions.chunksPerTurn. */
  chunksPerTurn?: number;
  /**
   * The list reads at this pace instead of ahead: no page is requested before the current one has been
   * read, and then only once `paced()` resolves (false: the list stops there, as if its reader had).
   * A list that waits so is between two responses, never in the middle of one (a response left unread
   * would run into the request timeout). Without it, the next page is requested as soon as the current
   * one's head has come.
   */
  paced?: () => Promise<boolean>;
}

type Batch<T> = { key: string; value: T }[];

/** One page request: sent when created, its first batch read right away (so its head is known early). */
interface PageFetch<T> {
  /** The continue token it was sent with. */
  token: string | undefined;
  /** The continue token of its latest attempt's head; undefined until a head has arrived. */
  next?: string | null;
  pages: AsyncGenerator<Batch<T>, Record<string, unknown>, undefined>;
  first: Promise<IteratorResult<Batch<T>, Record<string, unknown>>>;
  controller: AbortController;
}

const continueOf = (head: Record<string, unknown>): string | null => (head.metadata as { continue?: string } | undefined)?.continue || null;

const ignore = (): void => {};

export class PagedList<T> {
  /** The page being read, and the one requested ahead of it. */
  private current: PageFetch<T> | null = null;
  private ahead: PageFetch<T> | null = null;
  /** A request was sent since the reader last let nextTick callbacks run (see afterNextTicks). */
  private unsent = false;

  constructor(
    private readonly client: ApiClient,
    private readonly options: PagedListOptions<T>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<T[], void, undefined> {
    const seen = new Set<string>();
    try {
      this.current = this.fetch(undefined);
      for (;;) {
        const page = this.current!;
        // A page fetched ahead whose head is already known: its successor goes out now.
        this.requestAhead(page);
        let head: Record<string, unknown>;
        try {
          let step = await page.first;
          while (!step.done) {
            if (this.unsent) {
              this.unsent = false;
              await afterNextTicks();
            }
            const out: T[] = [];
            for (const { key, value } of step.value) {
              if (seen.has(key)) continue;
              seen.add(key);
              out.push(value);
            }
            if (out.length > 0) yield out;
            step = await page.pages.next();
          }
          head = step.value;
        } catch (err) {
          if (err instanceof ApiError && err.status === 410 && page.token) {
            // The continue token expired: restart (or continue inconsistently if the server offers a token).
            this.drop(this.ahead);
            this.ahead = null;
            const offered = (err.body?.metadata as { continue?: string } | undefined)?.continue;
            this.current = this.fetch(offered || undefined);
            continue;
          }
          throw err;
        }
        const token = continueOf(head);
        if (!token) return;
        if (this.options.paced && !(await this.options.paced())) return;
        // The page's own last word on where the list goes on.
        if (this.ahead?.token !== token) {
          this.drop(this.ahead);
          this.ahead = this.fetch(token);
        }
        this.current = this.ahead;
        this.ahead = null;
      }
    } finally {
      this.close();
    }
  }

  private fetch(token: string | undefined): PageFetch<T> {
    const { path, query, pageSize, projection, parseItem, signal, chunksPerTurn } = this.options;
    const controller = new AbortController();
    const fetch = { token, controller } as PageFetch<T>;
    const options: ListPageOptions<{ key: string; value: T }> = {
      parseItem,
      signal: signal ? AbortSignal.any([controller.signal, signal]) : controller.signal,
      onHead: (head) => {
        fetch.next = continueOf(head);
        if (fetch === this.current) this.requestAhead(fetch);
      },
      ...(projection ? { projection } : {}),
      ...(chunksPerTurn !== undefined ? { chunksPerTurn } : {}),
    };
    fetch.pages = this.client.listPage(path, { ...query, limit: pageSize > 0 ? pageSize : undefined, continue: token }, options);
    fetch.first = fetch.pages.next();
    fetch.first.catch(ignore); // looked at when the page is read; a page dropped unread fails unseen
    this.unsent = true;
    return fetch;
  }

  /** Requests the page after `page` once its head names one; replaces a request sent with another token. */
  private requestAhead(page: PageFetch<T>): void {
    if (this.options.paced) return;
    if (page.next === undefined || this.ahead?.token === (page.next ?? undefined)) return;
    this.drop(this.ahead);
    this.ahead = page.next ? this.fetch(page.next) : null;
  }

  /** Stops the requests of a list that was started but will not be read (or not to its end). */
  close(): void {
    this.drop(this.current);
    this.drop(this.ahead);
    this.current = this.ahead = null;
  }

  /** Stops a request and reads nothing more of it. */
  private drop(page: PageFetch<T> | null): void {
    if (!page) return;
    page.controller.abort();
    page.pages.return(undefined as never).catch(ignore);
  }
}
