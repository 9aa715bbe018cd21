import { sameDisplayNameAs } from './display-name';

describe('sameDisplayNameAs', () => {
  it.each([
    ['dup', 'DUP'],
    ['dup', ' dup '],
    ['dup', 'ｄｕｐ'],
    ['file sync', 'ﬁle sync'],
    ['dup', 'dup\u200b'],
    ['dup', 'd\u202eup'],
    ['café', 'cafe\u0301'],
  ])('holds %j and %j to be one name', (a, b) => {
    expect(sameDisplayNameAs(a)(b)).toBe(true);
    expect(sameDisplayNameAs(b)(a)).toBe(true);
  });

  it.each([
    ['dup', 'dupe'],
    ['café', 'cafe'],
    ['dup', 'd up'],
  ])('holds %j and %j to be two names', (a, b) => {
    expect(sameDisplayNameAs(a)(b)).toBe(false);
  });
});
