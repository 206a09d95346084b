import { ConfigError, loadConfig } from '../../src/config.js';

it('applies defaults', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ PORT: 4000, MAX_CONCURRENT_CALLS: 10, REPOPULATE_CRON: '0 * * * *', LOG_LEVEL: 'info', MAX_PAGE_SIZE: 500 });
  expect(config.DATABASE_URL).toBeUndefined();
});

it('treats an empty REPOPULATE_CRON as "switched off" and other empty values as unset', () => {
  expect(loadConfig({ REPOPULATE_CRON: '', PORT: '' })).toMatchObject({ REPOPULATE_CRON: '', PORT: 4000 });
});

it('names every bad variable and what it allows', () => {
  let message = '';
  try {
    loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', MAX_CONCURRENT_CALLS: '0', ADMIN_API_KEY: 'short' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    message = (error as Error).message;
  }
  expect(message).toMatch(/PORT/);
  expect(message).toMatch(/LOG_LEVEL/);
  expect(message).toMatch(/MAX_CONCURRENT_CALLS/);
  expect(message).toMatch(/ADMIN_API_KEY must be at least 16 characters/);
});

it('reads WEBHOOK_SECRETS_KEY as 32 bytes (base64 or hex) and refuses anything else', () => {
  expect(loadConfig({}).WEBHOOK_SECRETS_KEY).toBeNull();
  expect(loadConfig({ WEBHOOK_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') }).WEBHOOK_SECRETS_KEY).toEqual(Buffer.alloc(32, 1));
  expect(loadConfig({ WEBHOOK_SECRETS_KEY: 'ab'.repeat(32) }).WEBHOOK_SECRETS_KEY).toEqual(Buffer.alloc(32, 0xab));
  expect(() => loadConfig({ WEBHOOK_SECRETS_KEY: 'too-short' })).toThrow(/WEBHOOK_SECRETS_KEY: must be 32 bytes/);
});
