// The bound of the latency run: the least time any client that keeps at most one page in flight ahead
// (issue #12's rule) can take to see every pod page. It requests the next page the moment the current
// page's continue token has arrived, and does nothing else: no parse, no audit, no output. Its bytes are
// read and dropped; the next page's request waits only for the page before it to have been received
// (one page in flight ahead of the one being read). What it takes is round trips: the server's time and
// the transfers. npm run bench times it as a whole process, like status and the floor.
//
//   node bench/list-bound.mjs http://127.0.0.1:PORT [pageSize]
import http from 'node:http';

const [server, limitArg] = process.argv.slice(2);
if (!server) {
  process.stderr.write('usage: node bench/list-bound.mjs SERVER_URL [pageSize]\n');
  process.exit(2);
}
const limit = Number(limitArg ?? 500);
const agent = new http.Agent({ keepAlive: true });
const TOKEN = /"continue":"([^"]*)"/;

/** Requests a page; resolves `head` with its continue token ('' for none) and `done` once it is received. */
function fetchPage(token) {
  const url = new URL('/api/v1/pods', server);
  url.searchParams.set('limit', String(limit));
  if (token) url.searchParams.set('continue', token);
  let head;
  let done;
  const headKnown = new Promise((resolve, reject) => (head = { resolve, reject }));
  const received = new Promise((resolve, reject) => (done = { resolve, reject }));
  const req = http.get(url, { agent, headers: { Accept: 'application/json' } }, (res) => {
    if (res.statusCode !== 200) {
      const err = new Error(`HTTP ${res.statusCode}`);
      head.reject(err);
      done.reject(err);
      res.resume();
      return;
    }
    let start = '';
    let known = false;
    res.on('data', (chunk) => {
      if (known) return;
      start += chunk.toString('latin1');
      const items = start.indexOf('"items":');
      if (items < 0) return;
      known = true;
      head.resolve(TOKEN.exec(start.slice(0, items))?.[1] ?? '');
    });
    res.on('end', () => {
      if (!known) head.resolve('');
      done.resolve();
    });
    res.on('error', done.reject);
  });
  req.on('error', (err) => {
    head.reject(err);
    done.reject(err);
  });
  return { head: headKnown, received };
}

let pages = 0;
let current = fetchPage(undefined);
for (;;) {
  const token = await current.head;
  pages++;
  // The next page goes out now; the one after it only once this one has been received.
  const next = token ? fetchPage(token) : null;
  await current.received;
  if (!next) break;
  current = next;
}
agent.destroy();
process.stderr.write(`list-bound: ${pages} pages\n`);
