import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { generateApiKey, hashApiKey } from './api-key';
import { Merchant } from './merchant.entity';

export interface CreatedMerchant {
  merchantId: string;
  apiKey: string;
}

@Injectable()
export class MerchantsService {
  constructor(@InjectRepository(Merchant) private readonly merchants: Repository<Merchant>) {}

  findByApiKey(apiKey: string): Promise<Merchant | null> {
    return this.merchants.findOne({ where: { apiKeySha256: hashApiKey(apiKey) } });
  }

  /** Creates a merchant and returns its API key, which is never shown again. */
  async create(name: string, apiKey = generateApiKey()): Promise<CreatedMerchant> {
    const merchant = await this.merchants.save(this.merchants.create({ name, apiKeySha256: hashApiKey(apiKey) }));
    return { merchantId: merchant.id, apiKey };
  }
}
