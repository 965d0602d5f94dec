// Login cost: POST /api/auth/login verifies an scrypt hash (N=2^15, r=8), which is meant to be
// slow. This measures how slow on this machine, next to the scrypt call alone and a cheap
// authenticated request (GET /api/auth/me, a JWT check) on the same server.
import { hashPassword, verifyPassword } from '../src/auth/password.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../src/testing/harness.js';
import { fmt, msSince, nowNs, printTable, stats, type Stats } from './lib.js';

const LOGINS = 10;
const CHEAP = 50;

async function timed(n: number, fn: () => Promise<void>): Promise<Stats> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = nowNs();
    await fn();
    out.push(msSince(start));
  }
  return stats(out);
}

async function login(t: TestServer, username: string, password: string, expect: number) {
  const res = await t.api('POST', '/api/auth/login', { body: { username, password } });
  if (res.status !== expect)
    throw new Error(`login ${username}: ${res.status}, expected ${expect}`);
}

// The login limiter (5 free failures per user and address, 30 failures per address in 15 min)
// would answer 429 after a few rounds; it is raised here because the point is the cost of a check.
const t = await startTestServer('sqlite', {
  UTOPIA_LOGIN_MAX_FAILURES: '1000',
  UTOPIA_LOGIN_MAX_PER_ADDRESS: '100000',
});
try {
  const token = await t.adminToken(); // also warms the login path once
  await login(t, 'admin', ADMIN_PASSWORD, 200);

  const ok = await timed(LOGINS, () => login(t, 'admin', ADMIN_PASSWORD, 200));
  const wrong = await timed(LOGINS, () => login(t, 'admin', 'not-the-password', 401));
  const unknown = await timed(LOGINS, () => login(t, 'nobody-here', 'not-the-password', 401));
  const me = await timed(CHEAP, async () => {
    const res = await t.api('GET', '/api/auth/me', { token });
    if (res.status !== 200) throw new Error(`GET /api/auth/me: ${res.status}`);
  });
  const stored = await hashPassword(ADMIN_PASSWORD);
  const kdf = await timed(LOGINS, async () => {
    if (!(await verifyPassword(ADMIN_PASSWORD, stored))) throw new Error('verify failed');
  });
  const burstStart = nowNs();
  await Promise.all(Array.from({ length: 4 }, () => login(t, 'admin', ADMIN_PASSWORD, 200)));
  const burst = msSince(burstStart);

  const row = (name: string, s: Stats, ratio: string): string[] => [
    name,
    String(s.n),
    fmt(s.median, 1),
    fmt(s.p95, 1),
    ratio,
  ];
  printTable(
    'Login (SQLite server, scrypt N=2^15 r=8 p=1)',
    ['request', 'n', 'median ms', 'p95 ms', '× GET /api/auth/me'],
    [
      row('POST /api/auth/login (right password)', ok, fmt(ok.median / me.median, 0)),
      row('POST /api/auth/login (wrong password)', wrong, fmt(wrong.median / me.median, 0)),
      row('POST /api/auth/login (unknown user)', unknown, fmt(unknown.median / me.median, 0)),
      row('verifyPassword alone (no HTTP)', kdf, fmt(kdf.median / me.median, 0)),
      row('GET /api/auth/me (JWT)', me, '1'),
    ],
  );
  console.log(
    `\nlogin / scrypt alone: ${fmt(ok.median / kdf.median)}×; ` +
      `unknown user / known user: ${fmt(unknown.median / ok.median)}×; ` +
      `4 logins at once: ${fmt(burst, 0)} ms (${fmt(burst / ok.median)}× one login)`,
  );
} finally {
  await t.close();
}
