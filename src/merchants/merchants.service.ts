import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { type PreparedStatement, PreparedStatements } from '../database/prepared-statements';
import { generateApiKey, hashApiKey } from './api-key';
import { Merchant } from './merchant.entity';

// Every authenticated request runs this, so it is prepared once per connection.
export const FIND_BY_API_KEY: PreparedStatement = {
  name: 'merchants_find_by_api_key',
  text: 'SELECT id, name FROM merchants WHERE api_key_sha256 = $1',
};

export interface CreatedMerchant {
  merchantId: string;
  apiKey: string;
}

@Injectable()
export class MerchantsService {
  constructor(
    @InjectRepository(Merchant) private readonly merchants: Repository<Merchant>,
    private readonly statements: PreparedStatements,
  ) {}

  async findByApiKey(apiKey: string): Promise<Pick<Merchant, 'id' | 'name'> | null> {
    const [merchant] = await this.statements.run<Pick<Merchant, 'id' | 'name'>>(FIND_BY_API_KEY, [hashApiKey(apiKey)]);
    return merchant ?? null;
  }

  /** Creates a merchant and returns its API key, which is never shown again. */
  async create(name: string, apiKey = generateApiKey()): Promise<CreatedMerchant> {
    const merchant = await this.merchants.save(this.merchants.create({ name, apiKeySha256: hashApiKey(apiKey) }));
    return { merchantId: merchant.id, apiKey };
  }
}
