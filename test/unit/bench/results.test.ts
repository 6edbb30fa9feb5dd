import { describe, expect, it } from 'vitest';
import { buildResults, busRate, callsAndUnits, checkTargets, lateEventSentence, median, quantile, renderTable, roundMedianRatio, roundRatios, spread } from '../../../bench/results.js';
import type { BusFigures } from '../../../bench/bus.js';
import type { BenchFigures, LateEventCost, LateEventCosts, LoadFigures } from '../../../bench/results.js';

const load = (requests: number, seconds: number): LoadFigures => ({
  requests,
  errors: 0,
  seconds,
  latencyMs: { p50: 20, p99: 60, max: 90 },
  perRound: [requests / seconds],
  cpu: { runtimeMs: requests * 3, dynamodbMs: requests * 8, benchMs: requests, machineBusyPercent: 97 },
});

const lateCost = (daysLate: number, writeUnits: number, rewritten: number): LateEventCost => ({
  daysLate,
  laterEntries: daysLate,
  calls: 3,
  byOperation: { BatchGetItem: 1, Query: 1, TransactWriteItems: 1 },
  readUnits: daysLate === 1 ? 2 : 10.5,
  writeUnits,
  // DynamoDB Local's answer: the same whatever the entries rewritten
  answeredWriteUnits: 8,
  refolded: daysLate,
  rewritten,
});

/** A late event's sample figures: a day late rewrites 1 entry, a month late 30. */
const late = (): LateEventCosts => ({
  dailyReports: 60,
  inOrder: { calls: 2, readUnits: 1, writeUnits: 10, answeredWriteUnits: 8 },
  day: lateCost(1, 14, 1),
  month: lateCost(30, 72.04, 30),
  belowPeak: { day: lateCost(1, 10, 0), month: lateCost(30, 10, 0) },
});

/** Sample figures: every phase measured. */
function sample(): BenchFigures {
  return {
    calls: {
      perEvent: { created: 2, renewed: 2, entitlementsUpdated: 2, expired: 2, trialStarted: 2, trialExtended: 2, trialEnded: 2, seatUsageReported: 2, reconciliationCompleted: 2, seatStatisticsCorrected: 2, replay: 1 },
      cold: { created: 2, renewed: 2, entitlementsUpdated: 2, expired: 2, trialStarted: 2, trialExtended: 2, trialEnded: 2, seatUsageReported: 2, reconciliationCompleted: 2, seatStatisticsCorrected: 2, replay: 1 },
      firstSeen: { renewed: 3, entitlementsUpdated: 3, reconciliationCompleted: 3, expired: 3 },
      detail: { created: { BatchGetItem: 1, TransactWriteItems: 1 } },
      units: {
        created: { readUnits: 0.5, writeUnits: 12, answeredWriteUnits: 10 },
        renewed: { readUnits: 2, writeUnits: 14.04, answeredWriteUnits: 12.04 },
        entitlementsUpdated: { readUnits: 2, writeUnits: 14, answeredWriteUnits: 12 },
        expired: { readUnits: 2, writeUnits: 14, answeredWriteUnits: 12 },
        trialStarted: { readUnits: 0.5, writeUnits: 8, answeredWriteUnits: 6 },
        trialExtended: { readUnits: 1, writeUnits: 8, answeredWriteUnits: 6 },
        trialEnded: { readUnits: 1, writeUnits: 8, answeredWriteUnits: 6 },
        seatUsageReported: { readUnits: 2, writeUnits: 12, answeredWriteUnits: 10 },
        reconciliationCompleted: { readUnits: 2, writeUnits: 12, answeredWriteUnits: 10 },
        seatStatisticsCorrected: { readUnits: 2, writeUnits: 14, answeredWriteUnits: 12 },
        replay: { readUnits: 2, writeUnits: 0, answeredWriteUnits: 0 },
        'renewed (first seen)': { readUnits: 3, writeUnits: 14, answeredWriteUnits: 12 },
      },
      late: late(),
    },
    throughput: {
      concurrency: 8,
      namespaces: 256,
      service: load(1200, 12),
      raw: load(1500, 12),
      rawReadWrite: load(1300, 12),
      itemBytes: { state: 500, history: 1100, idempotency: 600, log: 900 },
    },
    init: {
      bareMs: 100,
      bareCpuMs: 90,
      bareBytes: 300,
      functions: {
        'seat-usage-reported': { bytes: 140_000, initMs: 140, initCpuMs: 120 },
        'subscription-created': { bytes: 160_000, initMs: 160, initCpuMs: 150 },
      },
      composition: { 'seat-usage-reported': [{ part: 'zod', bytes: 95_000 }], 'subscription-created': [{ part: 'zod', bytes: 95_000 }] },
      runs: 5,
      bareImports: 30,
      nodeOptions: [],
      bundlingMatchesSynth: true,
      source: 'cdk.out',
    },
    rss: { peakMb: 180.46, endMb: 150, pid: 42 },
    run: { date: '2026-11-22T10:00:00.000Z', quick: false, seconds: 120 },
    machine: { cpus: 2, cpuModel: 'test CPU', memoryMb: 4096, node: '20.20.2', platform: 'linux', loadAverage: { start: [1, 1, 1], end: [2, 2, 2] } },
    errors: {},
  };
}

describe('Function: buildResults', () => {
  it('writes exactly the keys the issue asks for, with the figures computed from the measurements', () => {
    // Act
    const results = buildResults(sample());

    // Assess: the keys, exactly
    expect(Object.keys(results.dynamodbCallsPerEvent!).sort()).toEqual(
      ['created', 'entitlementsUpdated', 'expired', 'reconciliationCompleted', 'renewed', 'replay', 'seatStatisticsCorrected', 'seatUsageReported', 'trialEnded', 'trialExtended', 'trialStarted'].sort(),
    );
    expect(results.dynamodbCallsPerEvent).toMatchObject({ renewed: 2, replay: 1 });
    expect(Object.keys(results.coldCallsPerEvent!).sort()).toEqual(Object.keys(results.dynamodbCallsPerEvent!).sort());
    expect(results.coldCallsPerEvent).toMatchObject({ renewed: 2, expired: 2, replay: 1 });
    expect(results.throughput).toEqual({ concurrency: 8, seatReportsPerSecond: 100, rawTransactWritesPerSecond: 125, ratio: 0.8, ratioByRound: { median: 0.8, min: 0.8, max: 0.8 } });
    expect(results.init).toEqual({
      bareMs: 100,
      functions: { 'seat-usage-reported': { bytes: 140_000, initMs: 140 }, 'subscription-created': { bytes: 160_000, initMs: 160 } },
    });
    expect(results.rssMb).toBe(180.5);
    // …then the details that explain them, under keys of their own
    expect(Object.keys(results)).toEqual([
      'dynamodbCallsPerEvent',
      'coldCallsPerEvent',
      'dynamodbWriteUnitsPerEvent',
      'lateEvent',
      'throughput',
      'init',
      'rssMb',
      'audit',
      'bus',
      'details',
      'targets',
      'run',
      'machine',
      'errors',
    ]);
  });

  it('writes the write units of each event beside its calls, under the same kinds', () => {
    // Act
    const results = buildResults(sample());

    // Assess
    expect(results.dynamodbWriteUnitsPerEvent).toEqual({
      created: 12,
      renewed: 14,
      entitlementsUpdated: 14,
      expired: 14,
      trialStarted: 8,
      trialExtended: 8,
      trialEnded: 8,
      seatUsageReported: 12,
      reconciliationCompleted: 12,
      seatStatisticsCorrected: 14,
      replay: 0,
    });
    expect(Object.keys(results.dynamodbWriteUnitsPerEvent!)).toEqual(Object.keys(results.dynamodbCallsPerEvent!));
    expect(results.details.dynamodbUnitsByEvent).toMatchObject({ 'renewed (first seen)': { readUnits: 3, writeUnits: 14 } });
    // …and what DynamoDB Local answered, apart
    expect(results.details.dynamodbWriteUnitsAnswered).toEqual({
      created: 10,
      renewed: 12,
      entitlementsUpdated: 12,
      expired: 12,
      trialStarted: 6,
      trialExtended: 6,
      trialEnded: 6,
      seatUsageReported: 10,
      reconciliationCompleted: 10,
      seatStatisticsCorrected: 12,
      replay: 0,
    });
  });

  it('writes what a late event costs: calls, read and write units, entries folded again and rewritten', () => {
    // Act
    const results = buildResults(sample());

    // Assess
    expect(results.lateEvent).toEqual({
      dailyReports: 60,
      inOrder: { calls: 2, readUnits: 1, writeUnits: 10, answeredWriteUnits: 8 },
      day: { daysLate: 1, laterEntries: 1, calls: 3, readUnits: 2, writeUnits: 14, answeredWriteUnits: 8, refolded: 1, rewritten: 1 },
      month: { daysLate: 30, laterEntries: 30, calls: 3, readUnits: 10.5, writeUnits: 72, answeredWriteUnits: 8, refolded: 30, rewritten: 30 },
    });
    expect(results.details.lateEventBelowPeak).toMatchObject({ day: { writeUnits: 10, rewritten: 0 }, month: { refolded: 30, rewritten: 0 } });
  });

  it('keeps the call and late-event keys, as null, when the calls phase failed', () => {
    const results = buildResults({ ...sample(), calls: null, errors: { calls: 'the runtime did not start' } });

    expect(results).toMatchObject({ dynamodbCallsPerEvent: null, dynamodbWriteUnitsPerEvent: null, lateEvent: null });
    expect(renderTable({ ...sample(), calls: null, errors: { calls: 'the runtime did not start' } })).toContain('not measured: the runtime did not start');
  });

  it('writes the audit section with the keys issue 8 asks for, and checks its target', () => {
    const figures = { ...sample(), audit: { subscriptions: [1000, 20000], due: 100, readUnits: [141.5, 142.54], ratio: 1.0073 } };
    const results = buildResults(figures);
    expect(results.audit).toEqual({ subscriptions: [1000, 20000], due: 100, readUnits: [141.5, 142.5], ratio: 1.007 });
    expect(checkTargets(figures).find((c) => c.name === 'audit cost ratio')).toMatchObject({ ok: true, target: '≤ 1.1' });
    expect(checkTargets({ ...figures, audit: { ...figures.audit, ratio: 1.5 } }).find((c) => c.name === 'audit cost ratio')?.ok).toBe(false);
    expect(renderTable(figures)).toContain('20000 subscriptions, 100 due');
  });

  it('survives a JSON round trip unchanged (what bench/results.json holds)', () => {
    const results = buildResults(sample());

    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });

  it('leaves the read + write side out when the run skipped it (--quick)', () => {
    // Prepare
    const figures = sample();
    figures.throughput!.rawReadWrite = null;

    // Act
    const results = buildResults(figures);

    // Assess
    expect(results.throughput).toMatchObject({ concurrency: 8, seatReportsPerSecond: 100, rawTransactWritesPerSecond: 125, ratio: 0.8 });
    expect(results.details.throughput).toMatchObject({ rawReadThenWritePerSecond: null, ratioToReadThenWriteByRound: null, requests: { service: 1200, raw: 1500 } });
    expect(Object.keys(results.details.throughput!.requests!)).toEqual(['service', 'raw']);
    expect(renderTable(figures)).not.toContain('read + write');
  });

  it('keeps the issue keys, as null, for a phase that failed, and says why', () => {
    // Prepare
    const figures = { ...sample(), init: null, errors: { init: 'npm run synth failed: …' } };

    // Act
    const results = buildResults(figures);

    // Assess
    expect(results.init).toBeNull();
    expect(results.errors).toEqual({ init: 'npm run synth failed: …' });
    expect('init' in results).toBe(true);
  });
});

/** Sample figures of the bus path: 1,200 events in 12 s. */
const bus = (): BusFigures => ({
  concurrency: 8,
  batchSize: 10,
  namespaces: 240,
  events: 1200,
  seconds: 12,
  perRound: [95, 100, 105],
  latencyMs: { p50: 61.234, p99: 180.06, max: 240 },
  putEventsMs: { p50: 4.2, p99: 12, max: 20 },
  errors: 0,
  errorSamples: [],
  cpuMsPerEvent: { runtime: 3.5, dynamodb: 6.25 },
});

describe('Function: buildResults (the bus path)', () => {
  it('writes bus as the issue asks: events per second, p50 and p99 from PutEvents to the published change', () => {
    const results = buildResults({ ...sample(), bus: bus() });

    expect(results.bus).toEqual({ eventsPerSecond: 100, p50Ms: 61.2, p99Ms: 180.1 });
    expect(results.details.bus).toMatchObject({ batchSize: 10, eventsPerSecondByRound: [95, 100, 105], putEventsMs: { p50: 4.2 } });
  });

  it('writes bus as null when the phase did not run, and the table says why', () => {
    const figures = { ...sample(), bus: null, errors: { bus: 'the local bus refused 10 of 10 entries' } };

    expect(buildResults(figures).bus).toBeNull();
    expect(renderTable(figures)).toContain('not measured: the local bus refused 10 of 10 entries');
  });
});

describe('Function: busRate', () => {
  it('divides the events published by the measured time, 0 for none', () => {
    expect(busRate({ events: 1200, seconds: 12 })).toBe(100);
    expect(busRate({ events: 0, seconds: 0 })).toBe(0);
  });
});

describe('Function: checkTargets', () => {
  it('misses the floor when the service is faster than the raw calls it makes', () => {
    // Prepare: the service 1,300 in 12 s against raw 1,200: a baseline that is no floor
    const figures = sample();
    figures.throughput!.service = load(1300, 12);
    figures.throughput!.raw = load(1200, 12);
    figures.throughput!.rawReadWrite = load(1250, 12);

    // Act
    const checks = checkTargets(figures);

    // Assess
    expect(checks.find((c) => c.name === 'throughput ratio')).toMatchObject({ ok: true });
    expect(checks.find((c) => c.name === 'raw baseline is a floor')).toMatchObject({ ok: false, measured: '1.08', target: '≤ 1' });
    expect(checks.find((c) => c.name === 'raw read + write is a floor')).toMatchObject({ ok: false, measured: '1.04' });
    expect(renderTable(figures)).toContain('Targets missed: raw baseline is a floor (1.08, target ≤ 1); raw read + write is a floor (1.04, target ≤ 1)');
  });

  it('meets the floor at a ratio of exactly 1, and checks the read + write side only when it ran', () => {
    const figures = sample();
    figures.throughput!.service = load(1200, 12);
    figures.throughput!.raw = load(1200, 12);
    figures.throughput!.rawReadWrite = null;

    const checks = checkTargets(figures);

    expect(checks.find((c) => c.name === 'raw baseline is a floor')?.ok).toBe(true);
    expect(checks.some((c) => c.name === 'raw read + write is a floor')).toBe(false);
  });

  it('flags each missed target and only those', () => {
    // Prepare: one bundle too large and too slow to import, renewal at 3 calls, ratio 0.8
    const figures = sample();
    figures.calls!.perEvent.renewed = 3;

    // Act
    const missed = checkTargets(figures).filter((check) => !check.ok).map((check) => check.name);

    // Assess
    expect(missed).toEqual(['calls renewed', 'bundle subscription-created', 'init subscription-created']);
  });

  it('misses the ratio below 0.7 and the memory above 250 MB', () => {
    const figures = sample();
    figures.throughput!.service = load(1000, 12);
    figures.rss = { peakMb: 251, endMb: 200, pid: 1 };

    const missed = checkTargets(figures).filter((check) => !check.ok).map((check) => check.name);

    expect(missed).toContain('throughput ratio');
    expect(missed).toContain('runtime peak RSS');
  });
});

describe('Function: quantile', () => {
  it('answers the nearest-rank quantile', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];

    expect(quantile(values, 0.5)).toBe(5);
    expect(quantile(values, 0.99)).toBe(10);
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('Function: median', () => {
  it('answers the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });
});

describe('Function: roundMedianRatio', () => {
  it('is not dragged down by one round hit by a burst of other work', () => {
    // Prepare: the service's last round ran while the machine was busy with something else
    const service = { ...load(451, 12), perRound: [146, 125, 117, 63] };
    const raw = { ...load(712, 12), perRound: [162, 180, 205, 165] };

    // Act
    const ratio = roundMedianRatio(service, raw);

    // Assess: (125 + 117) / 2 over (165 + 180) / 2
    expect(ratio).toBeCloseTo(121 / 172.5, 5);
  });
});

describe('Function: roundRatios', () => {
  it('divides round by round, leaving out rounds one side lacks or with no raw rate', () => {
    const service = { ...load(0, 12), perRound: [90, 100, 120, 80] };
    const raw = { ...load(0, 12), perRound: [100, 0, 100] };

    expect(roundRatios(service, raw)).toEqual([0.9, 1.2]);
  });
});

describe('Function: spread', () => {
  it('answers the median, smallest and largest, zeros for none', () => {
    expect(spread([0.9, 1.2, 0.95, 1])).toEqual({ median: 0.975, min: 0.9, max: 1.2 });
    expect(spread([])).toEqual({ median: 0, min: 0, max: 0 });
  });
});

describe('Function: renderTable', () => {
  it('prints the ratio with both targets and its spread by round, and the bus path', () => {
    const figures = { ...sample(), bus: bus() };
    figures.throughput!.service = { ...load(1140, 12), perRound: [90, 95, 100] };
    figures.throughput!.raw = { ...load(1200, 12), perRound: [100, 100, 100] };

    const table = renderTable(figures);

    expect(table).toMatch(/ratio service \/ raw\s+0\.95\s+ok\s+≥ 0\.7, ok\s+≤ 1\s+by round: median 0\.95, 0\.90–1\.00/);
    expect(table).toMatch(/events published, 8 concurrent\s+100\.0\/s\s+1200 in 12\.0 s; rounds 95 \/ 100 \/ 105/);
    expect(table).toMatch(/PutEvents → change published\s+p50 61 ms\s+p99 180 ms, max 240 ms; the PutEvents call itself p50 4\.2 ms/);
  });

  it('prints every figure with its target, and the targets missed', () => {
    const figures = sample();

    const table = renderTable(figures);

    expect(table).toContain('load average 1.00 1.00 1.00 at start');
    expect(table).toMatch(/ratio service \/ raw\s+0\.80\s+ok/);
    expect(table).toMatch(/peak RSS \(VmHWM\)\s+180\.5 MB/);
    expect(table).toContain('Targets missed: bundle subscription-created');
  });

  it('prints calls and write units on each event row, and what a late event costs with what it means', () => {
    const table = renderTable(sample());

    expect(table).toMatch(/created\s+2 calls, 12\.0 WCU\s+ok\s+≤ 2\s+BatchGetItem×1 \+ TransactWriteItems×1; 0\.5 RCU, Local 10\.0 WCU/);
    expect(table).toMatch(/renewed\s+2 calls, 14\.0 WCU/);
    expect(table).toMatch(/replay\s+1 call, 0\.0 WCU\s+ok\s+≤ 1/);
    expect(table).toContain('renewed 3 calls, 14.0 WCU; entitlementsUpdated 3 calls, ? WCU');
    expect(table).toMatch(/in order \(the newest report\)\s+2 calls, 10\.0 WCU\s+1\.0 RCU, Local 8\.0 WCU/);
    expect(table).toMatch(/1 day late, above the peak\s+3 calls, 14\.0 WCU\s+2\.0 RCU, Local 8\.0 WCU; BatchGetItem×1 \+ Query×1 \+ TransactWriteItems×1; 1 later entry folded again, 1 rewritten/);
    expect(table).toMatch(/30 days late, above the peak\s+3 calls, 72\.0 WCU\s+10\.5 RCU, Local 8\.0 WCU; .*30 later entries folded again, 30 rewritten/);
    expect(table).toMatch(/30 days late, below the peak\s+3 calls, 10\.0 WCU/);
    expect(table.replace(/\n\s+/g, ' ')).toContain(lateEventSentence(late()));
  });
});

describe('Function: callsAndUnits', () => {
  it('writes calls and write units as the table shows them', () => {
    expect(callsAndUnits(2, { writeUnits: 10.04 })).toBe('2 calls, 10.0 WCU');
    expect(callsAndUnits(1, { writeUnits: 0 })).toBe('1 call, 0.0 WCU');
    expect(callsAndUnits(3, undefined)).toBe('3 calls, ? WCU');
  });
});

describe('Function: lateEventSentence', () => {
  it('says what a late event costs beyond one in order, and what the cost grows with', () => {
    const sentence = lateEventSentence(late());

    expect(sentence).toContain('In order a report costs 2 calls, 1.0 RCU and 10.0 WCU.');
    expect(sentence).toContain('1 day late and above the peak it costs 1 call, 1.0 RCU and 4.0 WCU more (1 entry rewritten)');
    expect(sentence).toContain('30 days late, 1 call, 9.5 RCU and 62.0 WCU more (30 rewritten)');
    expect(sentence).toContain('Below the peak no later entry changes and none is rewritten: 10.0 and 10.0 WCU.');
    expect(sentence).toContain('at most 90');
    expect(sentence).not.toContain('did not grow with the delay');
  });

  it('says so when the reads did not grow with the delay', () => {
    const figures = late();
    figures.day.readUnits = 13;
    figures.month.readUnits = 13;

    expect(lateEventSentence(figures)).toContain('its reads did not grow with the delay: the Query read as much a day late (13.0 RCU) as a month late.');
  });
});
