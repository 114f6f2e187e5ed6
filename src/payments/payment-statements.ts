import type { PreparedStatement } from '../database/prepared-statements';

/**
 * Records a charged or declined payment. Runs after the gateway call, in the transaction
 * that began before it, so a payment row exists only with the gateway's result.
 */
export const RECORD_PAYMENT: PreparedStatement = {
  name: 'payments_record',
  text: `
    INSERT INTO payments (id, merchant_id, amount, currency, status, description, metadata, gateway_charge_id, decline_code)
    VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
    RETURNING created_at, updated_at`,
};
