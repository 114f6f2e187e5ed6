import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** A statement that each pooled connection parses once and then runs by name, usually with a reused plan. */
export interface PreparedStatement {
  /** Name that is unique per statement text. PostgreSQL truncates names to 63 bytes. */
  readonly name: string;
  readonly text: string;
}

/**
 * Runner of prepared statements, on the current transaction's connection or on the pool.
 * TypeORM sends every query unnamed, which PostgreSQL parses and plans on every call.
 */
@Injectable()
export class PreparedStatements {
  private readonly pool: Pool;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async run<Row>(statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
    const connection = await this.connection();
    const result = await connection.query({ name: statement.name, text: statement.text, values });
    return result.rows as Row[];
  }

  private async connection(): Promise<Pool | PoolClient> {
    const queryRunner = this.txHost.tx.queryRunner;
    return queryRunner ? ((await queryRunner.connect()) as PoolClient) : this.pool;
  }
}
