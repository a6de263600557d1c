import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** An open transaction, handed from a service down to repositories. */
export type Tx = EntityManager;

/**
 * Lets services run a multi-step write in one transaction without importing TypeORM.
 * Every query of the step must go through the given `tx` (with embedded PGlite there is a
 * single connection, and a query outside the transaction would wait for it forever).
 */
@Injectable()
export class Transactions {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
