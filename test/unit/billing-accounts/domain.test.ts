import { describe, expect, it } from 'vitest';
import { billingAccountDrift, setBillingAccount } from '../../../shared/billing-accounts/domain.js';
import type { BillingAccountSetCommand, Customer } from '../../../shared/billing-accounts/domain.js';

const appliedAt = '2026-05-03T08:00:00.000Z';

const command = (over: Partial<BillingAccountSetCommand> = {}): BillingAccountSetCommand => ({
  type: 'billingAccountSet',
  eventId: 'e-2',
  occurredAt: '2026-05-02T10:00:00Z',
  customerId: 'cust-1',
  zuoraAccountId: 'Z-NEW',
  ...over,
});

const customer = (over: Partial<Customer> = {}): Customer => ({
  customerId: 'cust-1',
  zuoraAccountId: 'Z-OLD',
  membershipZuoraAccountId: 'Z-OLD',
  accountDataPersisted: true,
  changedOn: '2026-05-01',
  lastOccurredAt: '2026-05-01T10:00:00Z',
  lastEventId: 'e-1',
  updatedAt: '2026-05-01T10:00:01.000Z',
  version: 3,
  ...over,
});

describe('Function: setBillingAccount', () => {
  it('records a new customer with the flag off: no billing-account data', () => {
    const result = setBillingAccount(null, command(), { appliedAt, persist: false });
    expect(result).toEqual({
      ok: true,
      customer: {
        customerId: 'cust-1',
        zuoraAccountId: 'Z-NEW',
        membershipZuoraAccountId: null,
        accountDataPersisted: false,
        changedOn: '2026-05-03',
        lastOccurredAt: '2026-05-02T10:00:00Z',
        lastEventId: 'e-2',
        updatedAt: appliedAt,
        version: 1,
      },
      membership: { join: null, leave: null },
    });
  });

  it('records a new customer with the flag on: it joins its billing account', () => {
    const result = setBillingAccount(null, command(), { appliedAt, persist: true });
    expect(result).toMatchObject({
      ok: true,
      customer: { zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: 'Z-NEW', accountDataPersisted: true, version: 1 },
      membership: { join: 'Z-NEW', leave: null },
    });
  });

  it('moves a customer to another billing account: joins the new one, leaves the old one', () => {
    const result = setBillingAccount(customer(), command(), { appliedAt, persist: true });
    expect(result).toMatchObject({
      ok: true,
      customer: { zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: 'Z-NEW', version: 4, changedOn: '2026-05-03' },
      membership: { join: 'Z-NEW', leave: 'Z-OLD' },
    });
  });

  it('confirms the same billing account: joins it again (a repair), leaves nothing', () => {
    const result = setBillingAccount(customer(), command({ zuoraAccountId: 'Z-OLD' }), { appliedAt, persist: true });
    expect(result).toMatchObject({ ok: true, membership: { join: 'Z-OLD', leave: null }, customer: { version: 4 } });
  });

  it('leaves the billing-account data alone with the flag off, remembering where the membership stays', () => {
    const result = setBillingAccount(customer(), command(), { appliedAt, persist: false });
    expect(result).toMatchObject({
      ok: true,
      customer: { zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: 'Z-OLD', accountDataPersisted: false },
      membership: { join: null, leave: null },
    });
  });

  it('moves the membership from where it was kept when the flag comes back on', () => {
    // Z-OLD holds the membership; the customer moved to Z-MID while the flag was off.
    const before = customer({ zuoraAccountId: 'Z-MID', membershipZuoraAccountId: 'Z-OLD', accountDataPersisted: false });
    const result = setBillingAccount(before, command(), { appliedAt, persist: true });
    expect(result).toMatchObject({ ok: true, membership: { join: 'Z-NEW', leave: 'Z-OLD' } });
  });

  it('refuses an event older than the last applied one as stale', () => {
    const result = setBillingAccount(customer(), command({ occurredAt: '2026-05-01T09:59:59Z' }), { appliedAt, persist: true });
    expect(result).toEqual({ ok: false, rejection: { code: 'stale_event', message: expect.stringContaining('before the change already applied') } });
  });

  it('compares instants, not strings: an offset that is later in UTC is not stale', () => {
    // 11:30+01:00 is 10:30Z, after 10:00Z.
    const result = setBillingAccount(customer(), command({ occurredAt: '2026-05-01T11:30:00+01:00' }), { appliedAt, persist: true });
    expect(result.ok).toBe(true);
    const stale = setBillingAccount(customer(), command({ occurredAt: '2026-05-01T10:30:00+01:00' }), { appliedAt, persist: true });
    expect(stale.ok).toBe(false);
  });

  it('applies an event at the same instant as the last one', () => {
    expect(setBillingAccount(customer(), command({ occurredAt: '2026-05-01T10:00:00Z' }), { appliedAt, persist: true }).ok).toBe(true);
  });
});

describe('Function: billingAccountDrift', () => {
  it('finds none when the membership is where the customer bills', () => {
    expect(billingAccountDrift(customer(), { membershipFound: true })).toBeNull();
  });

  it('finds none for a customer whose billing-account data was never kept', () => {
    expect(billingAccountDrift(customer({ membershipZuoraAccountId: null, accountDataPersisted: false }), { membershipFound: false })).toBeNull();
  });

  it('reports a membership kept under another billing account', () => {
    const drift = billingAccountDrift(customer({ zuoraAccountId: 'Z-NEW', membershipZuoraAccountId: 'Z-OLD' }), { membershipFound: true });
    expect(drift).toMatchObject({ code: 'membership_elsewhere' });
    expect(drift?.message).toContain('Z-OLD');
  });

  it('reports a membership item that is missing', () => {
    expect(billingAccountDrift(customer(), { membershipFound: false })).toMatchObject({ code: 'membership_missing' });
  });
});
