import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '@greencart/platform';
import { readAccountsEnvironment } from '../src/env.js';

const problemsOf = (source: NodeJS.ProcessEnv) => {
  try {
    readAccountsEnvironment(source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentError);
    return (error as Error).message;
  }
  throw new Error('the environment was accepted');
};

describe('the sign-in throttle variables', () => {
  it('default to 5 per address and email, 100 per account, 100 per address, in 900 seconds', () => {
    expect(readAccountsEnvironment({})).toMatchObject({
      LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: 5,
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 100,
      LOGIN_MAX_FAILURES_PER_ADDRESS: 100,
      LOGIN_THROTTLE_WINDOW_SECONDS: 900,
    });
  });

  it('are read as whole numbers', () => {
    expect(readAccountsEnvironment({ LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: '3', LOGIN_MAX_FAILURES_PER_ACCOUNT: '6' })).toMatchObject({
      LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: 3,
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 6,
    });
  });

  it('report every bad one at once', () => {
    const problems = problemsOf({ LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: '0', LOGIN_MAX_FAILURES_PER_ACCOUNT: 'many', LOGIN_THROTTLE_WINDOW_SECONDS: '1.5' });
    expect(problems).toMatch(/LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL/);
    expect(problems).toMatch(/LOGIN_MAX_FAILURES_PER_ACCOUNT/);
    expect(problems).toMatch(/LOGIN_THROTTLE_WINDOW_SECONDS/);
  });

  it('refuse an account ceiling that one address could reach (under twice the limit per address and email)', () => {
    expect(problemsOf({ LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: '5', LOGIN_MAX_FAILURES_PER_ACCOUNT: '9' })).toMatch(/LOGIN_MAX_FAILURES_PER_ACCOUNT: must be at least 10/);
    expect(readAccountsEnvironment({ LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL: '5', LOGIN_MAX_FAILURES_PER_ACCOUNT: '10' }).LOGIN_MAX_FAILURES_PER_ACCOUNT).toBe(10);
  });

  it('refuse the old LOGIN_MAX_FAILURES_PER_EMAIL, whose meaning changed, naming its successor', () => {
    expect(problemsOf({ LOGIN_MAX_FAILURES_PER_EMAIL: '5' })).toMatch(/LOGIN_MAX_FAILURES_PER_EMAIL: renamed LOGIN_MAX_FAILURES_PER_ADDRESS_AND_EMAIL/);
  });
});
