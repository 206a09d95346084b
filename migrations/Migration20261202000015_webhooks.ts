import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks. Each endpoint follows the event log with its own cursor (after_txid, after_id),
 * read commit-safe like every reader of the log; the events it subscribes to become
 * deliveries, one row per (endpoint, event), sent at least once and in order per claimant
 * (a delivery waits while an earlier one of the same claimant to the same endpoint is
 * pending). Each attempt is a row of webhook_attempts. Secrets are stored encrypted
 * (AES-256-GCM): signing needs the secret itself, so it cannot be hashed like an API key.
 */
export class Migration20261202000015_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      CREATE TABLE webhooks (
        id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        url                  text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
        description          text CHECK (length(description) <= 500),
        event_types          text[] NOT NULL CHECK (cardinality(event_types) > 0),
        secret_sealed        text NOT NULL,
        previous_secret_sealed text,
        previous_secret_until  timestamptz,
        enabled              boolean NOT NULL DEFAULT true,
        disabled_reason      text,
        after_txid           xid8 NOT NULL DEFAULT '0',
        after_id             bigint NOT NULL DEFAULT 0,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        CHECK ((previous_secret_sealed IS NULL) = (previous_secret_until IS NULL)),
        CHECK (enabled OR disabled_reason IS NOT NULL)
      )`);
    this.addSql(`
      CREATE TABLE webhook_deliveries (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        webhook_id       bigint NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_txid       xid8 NOT NULL,
        event_id         bigint NOT NULL,
        event_type       text NOT NULL,
        event_at         timestamptz NOT NULL,
        queue_type       text,
        user_id          bigint,
        entry_id         bigint,
        subject_id       bigint,
        agent_id         bigint,
        status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        locked_until     timestamptz,
        created_at       timestamptz NOT NULL DEFAULT now(),
        finished_at      timestamptz,
        redelivery       boolean NOT NULL DEFAULT false,
        CHECK ((status = 'PENDING') = (finished_at IS NULL))
      )`);
    // The worker's pick (due pending rows, in its order: no sort) and the per-claimant order check.
    this.addSql(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (webhook_id, next_attempt_at, event_txid, event_id) WHERE status = 'PENDING'`);
    this.addSql(`CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, user_id, event_txid, event_id) WHERE status = 'PENDING'`);
    this.addSql(`CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (webhook_id, id DESC)`);
    this.addSql(`
      CREATE TABLE webhook_attempts (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_id   bigint NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        at            timestamptz NOT NULL,
        response_code int,
        duration_ms   int NOT NULL CHECK (duration_ms >= 0),
        error         text
      )`);
    this.addSql(`CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id)`);
    // The agent of a CALLBACK_DUE: an instance catching up after a lost LISTEN connection
    // rebuilds the event from its row, and callbackDue subscribers filter by agent.
    this.addSql(`ALTER TABLE event_log ADD COLUMN agent_id bigint`);
    // The key that seals webhook secrets when WEBHOOK_SECRETS_KEY is not set (development).
    this.addSql(`
      CREATE TABLE service_secrets (
        name  text PRIMARY KEY,
        value text NOT NULL
      )`);
  }

  override async down(): Promise<void> {
    this.addSql(`DROP TABLE webhook_attempts`);
    this.addSql(`DROP TABLE webhook_deliveries`);
    this.addSql(`DROP TABLE webhooks`);
    this.addSql(`DROP TABLE service_secrets`);
    this.addSql(`ALTER TABLE event_log DROP COLUMN agent_id`);
  }
}
