import { Migration } from '@mikro-orm/migrations';

/**
 * The contact policy applies wherever a call starts; what departs from it is recorded: a direct
 * call an agent starts outside the policy carries its `override_reason` (on the request while
 * it waits for a line, then on the session), and a callback promised for a time outside
 * calling hours because the claimant asked for it is `claimant_requested`.
 */
export class Migration20261201000008_contact_policy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE call_sessions ADD COLUMN override_reason text CHECK (length(override_reason) BETWEEN 1 AND 500)`);
    this.addSql(`ALTER TABLE call_requests ADD COLUMN override_reason text CHECK (length(override_reason) BETWEEN 1 AND 500)`);
    this.addSql(`ALTER TABLE callbacks ADD COLUMN claimant_requested boolean NOT NULL DEFAULT false`);
  }

  override async down(): Promise<void> {
    this.addSql(`ALTER TABLE callbacks DROP COLUMN claimant_requested`);
    this.addSql(`ALTER TABLE call_requests DROP COLUMN override_reason`);
    this.addSql(`ALTER TABLE call_sessions DROP COLUMN override_reason`);
  }
}
