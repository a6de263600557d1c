import { assertTimeZone, quotaWindows } from './quota-windows';

describe(quotaWindows.name, () => {
  it('counts UTC days and months by default', () => {
    expect(quotaWindows(new Date('2026-11-24T23:59:59Z'), 'UTC')).toEqual({
      day: '2026-11-24',
      month: '2026-11-01',
      dayResetsAt: new Date('2026-11-25T00:00:00Z'),
      monthResetsAt: new Date('2026-12-01T00:00:00Z'),
    });
  });

  it('rolls the year over', () => {
    const w = quotaWindows(new Date('2026-12-31T12:00:00Z'), 'UTC');
    expect(w.monthResetsAt).toEqual(new Date('2027-01-01T00:00:00Z'));
    expect(w.dayResetsAt).toEqual(new Date('2027-01-01T00:00:00Z'));
  });

  it('counts in another zone: Shanghai is already in the next day and month', () => {
    expect(quotaWindows(new Date('2026-11-30T17:00:00Z'), 'Asia/Shanghai')).toEqual({
      day: '2026-12-01',
      month: '2026-12-01',
      dayResetsAt: new Date('2026-12-01T16:00:00Z'),
      monthResetsAt: new Date('2026-12-31T16:00:00Z'),
    });
  });

  it('finds local midnight across a daylight-saving change (New York, 2026-11-01)', () => {
    // The day of the change lasts 25 hours: midnight EDT (-4) to midnight EST (-5).
    const w = quotaWindows(new Date('2026-11-01T12:00:00Z'), 'America/New_York');
    expect(w.day).toBe('2026-11-01');
    expect(w.dayResetsAt).toEqual(new Date('2026-11-02T05:00:00Z'));
    expect(w.monthResetsAt).toEqual(new Date('2026-12-01T05:00:00Z'));
  });
});

describe('quotaWindows, asked again', () => {
  it('answers every instant of a day with that day, and moves at its midnight, either way', () => {
    const zone = 'Europe/Berlin'; // UTC+1 in December
    const day = (iso: string) => quotaWindows(new Date(iso), zone).day;
    expect(day('2026-12-07T12:00:00Z')).toBe('2026-12-07');
    expect(day('2026-12-07T22:59:59.999Z')).toBe('2026-12-07');
    expect(day('2026-12-07T23:00:00Z')).toBe('2026-12-08');
    // Back before the day the last answer was for, then at its first instant.
    expect(day('2026-12-07T22:00:00Z')).toBe('2026-12-07');
    expect(day('2026-12-06T22:59:59.999Z')).toBe('2026-12-06');
    expect(day('2026-12-06T23:00:00Z')).toBe('2026-12-07');
    expect(quotaWindows(new Date('2026-12-07T12:00:00Z'), zone)).toEqual({
      day: '2026-12-07',
      month: '2026-12-01',
      dayResetsAt: new Date('2026-12-07T23:00:00Z'),
      monthResetsAt: new Date('2026-12-31T23:00:00Z'),
    });
  });

  it('keeps each zone apart', () => {
    const at = new Date('2026-11-30T17:00:00Z');
    expect(quotaWindows(at, 'UTC').day).toBe('2026-11-30');
    expect(quotaWindows(at, 'Asia/Shanghai').day).toBe('2026-12-01');
    expect(quotaWindows(at, 'UTC').day).toBe('2026-11-30');
  });
});

describe(assertTimeZone.name, () => {
  it('accepts IANA zones and refuses unknown ones', () => {
    expect(() => assertTimeZone('Europe/Berlin')).not.toThrow();
    expect(() => assertTimeZone('Mars/Olympus')).toThrow(RangeError);
  });
});
