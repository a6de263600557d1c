/**
 * Positional parameters for a statement composed from several repositories' fragments:
 * each fragment asks for its values' placeholders, so no fragment knows another's numbering.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  /** The placeholder (`$n`) of a value, optionally with a cast (`$n::int`). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}
