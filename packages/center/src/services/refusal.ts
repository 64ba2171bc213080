/**
 * A service's refusal found inside a transaction, after something was written: thrown, it rolls the transaction
 * back; caught at the service's edge (rollingBack, or a catch of its own), it becomes the Result it carries.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Failure, Result } from '@tessera/core';
import type { Database } from '../db/schema.js';

export class Refusal extends Error {
  constructor(readonly failure: Failure) {
    super(failure.detail);
  }
}

/** Runs `work` in a transaction; a Refusal thrown in it undoes the transaction and is answered as its failure. */
export async function rollingBack<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await db.transaction().execute(work);
  } catch (error) {
    if (error instanceof Refusal) return error.failure;
    throw error;
  }
}
