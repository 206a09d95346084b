import { Migration } from '@mikro-orm/migrations';

/**
 * A call request is judged by the contact policy again when a line frees for it: a request
 * queued at 20:59 must not start at 21:05. One closed at dispatch says why (`closed_reason`),
 * as does one cancelled or expired.
 */
export class Migration20261202000009_dispatch_policy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE call_requests ADD COLUMN closed_reason text CHECK (length(closed_reason) BETWEEN 1 AND 500)`);
  }

  override async down(): Promise<void> {
    this.addSql(`ALTER TABLE call_requests DROP COLUMN closed_reason`);
  }
}
