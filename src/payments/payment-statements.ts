import type { PreparedStatement } from '../database/prepared-statements';

/** Inserts the payment before the charge, so its primary key locks out a second attempt of the same key. */
export const INSERT_PENDING_PAYMENT: PreparedStatement = {
  name: 'payments_insert_pending',
  text: `
    INSERT INTO payments (id, merchant_id, amount, currency, status, description, metadata)
    VALUES ($1, $2, $3, $4, 'pending', $5, $6::jsonb)
    RETURNING created_at`,
};

/** Records the gateway's answer on the pending payment. */
export const RECORD_CHARGE: PreparedStatement = {
  name: 'payments_record_charge',
  text: `
    UPDATE payments SET status = $2, gateway_charge_id = $3, decline_code = $4, updated_at = clock_timestamp()
    WHERE id = $1
    RETURNING updated_at`,
};
