import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsFlatStringMap } from './is-flat-string-map.validator';

export const MAX_AMOUNT = 99_999_999;

export class CreatePaymentDto {
  @ApiProperty({ description: 'Amount in minor units of the currency, for example cents', minimum: 1, maximum: MAX_AMOUNT, example: 2500 })
  @IsInt()
  @Min(1)
  @Max(MAX_AMOUNT)
  amount: number;

  @ApiProperty({ description: 'ISO 4217 code in upper case, from the configured allow list', example: 'USD' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code in upper case, e.g. USD' })
  currency: string;

  @ApiProperty({ description: 'Card token issued by the gateway', example: 'tok_visa' })
  @IsString()
  @Matches(/^[A-Za-z0-9_]{1,255}$/, { message: 'source must be a card token such as tok_visa' })
  source: string;

  @ApiPropertyOptional({ maxLength: 500, example: 'Order #1042' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ description: 'At most 20 string values', example: { orderId: '1042' } })
  @IsOptional()
  @IsFlatStringMap({ maxEntries: 20, maxKeyLength: 40, maxValueLength: 500 })
  metadata?: Record<string, string>;
}
