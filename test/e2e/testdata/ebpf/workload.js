// A Node service with one of the guide's problems, for the eBPF end-to-end test.
// regex: a new RegExp source per request (V8 caches compiled regexps by source);
// dns: dns.lookup of a new name per request (getaddrinfo on libuv's thread pool).
'use strict';
const crypto = require('crypto');
const dns = require('dns');

function otherWork(n) {
  let h = Buffer.alloc(4096);
  for (let i = 0; i < n; i++) h = crypto.createHash('sha256').update(h).digest();
  return h[0];
}

let sink = 0;
const mode = process.argv[2];
if (mode === 'regex') {
  for (let i = 0; ; i++) {
    const re = new RegExp('^user-(\\d+)-' + i + '-[a-z]+@(example|test)\\.(com|org)$');
    if (re.test('user-42-' + i + '-abc@example.com')) sink++;
    sink += otherWork(4);
  }
} else if (mode === 'dns') {
  let i = 0;
  const next = () => {
    dns.lookup('n' + i++ + '.perfadvisor.test', { family: 4 }, () => {
      sink += otherWork(2);
      setImmediate(next);
    });
  };
  for (let k = 0; k < 4; k++) next();
}
