import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuPercent, parseMemInfo, parseProcStat, SystemMetricsSampler } from './system-metrics.js';

test('CPU usage is measured over an interval, not since boot', () => {
  const a = parseProcStat('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n');
  const b = parseProcStat('cpu  150 0 150 900 0 0 0 0 0 0\n');
  assert.ok(a && b);
  assert.equal(cpuPercent(a, b), 50);
});

test('memory usage counts MemAvailable as free (buffers and cache are not "used")', () => {
  const m = parseMemInfo(
    'MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    750 kB\n',
  );
  assert.deepEqual(m, { totalKb: 1000, availableKb: 750 });
});

test('the sampler reads this machine', async () => {
  const sampler = new SystemMetricsSampler('/');
  await sampler.start(50);
  const m = await sampler.read();
  sampler.stop();
  assert.ok(m.memory_total_mb > 0);
  assert.ok(m.memory_usage_percent >= 0 && m.memory_usage_percent <= 100);
  assert.ok(m.disk_usage_percent >= 0 && m.disk_usage_percent <= 100);
  assert.equal(m.load_average.length, 3);
});
