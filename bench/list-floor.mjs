// The floor of `status -A`: the least any client must do to see every pod. Pages through
// /api/v1/pods?limit=N, one request after the other, reads each whole page and JSON.parses it, and does
// nothing else. Plain JavaScript run by plain node (no TypeScript loader), one keep-alive connection, as
// our client uses. npm run bench times it as a whole process, like status.
//
//   node bench/list-floor.mjs http://127.0.0.1:PORT [pageSize]
import http from 'node:http';

const [server, limitArg] = process.argv.slice(2);
if (!server) {
  process.stderr.write('usage: node bench/list-floor.mjs SERVER_URL [pageSize]\n');
  process.exit(2);
}
const limit = Number(limitArg ?? 500);
const agent = new http.Agent({ keepAlive: true });

function getPage(token) {
  const url = new URL('/api/v1/pods', server);
  url.searchParams.set('limit', String(limit));
  if (token) url.searchParams.set('continue', token);
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { Accept: 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
    });
    req.on('error', reject);
  });
}

let token;
let pods = 0;
let pages = 0;
do {
  const page = await getPage(token);
  pods += page.items.length;
  pages++;
  token = page.metadata?.continue;
} while (token);
agent.destroy();
process.stderr.write(`list-floor: ${pods} pods in ${pages} pages\n`);
