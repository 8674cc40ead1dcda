import { useMutation } from '@apollo/client/react';
import { readUserErrors } from './components/UserErrors';
import { PayForOrderDocument, SaveCardDocument } from './generated/graphql';

/** A saved card by id, or a new one as typed. */
export type CardChoice = { savedId: string } | { cardNumber: string; expiry: string; cvc: string };

export interface FieldError {
  field?: string | null;
  message: string;
}

/** "12/30" or "12 / 2030" → month and four-digit year; undefined when it is neither. */
function readExpiry(expiry: string): { expMonth: number; expYear: number } | undefined {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(expiry);
  if (!match) return undefined;
  const year = Number(match[2]);
  return { expMonth: Number(match[1]), expYear: year < 100 ? 2000 + year : year };
}

const UNREACHABLE: FieldError = { message: "We couldn't reach the shop. Nothing was charged; please try again." };

/**
 * Pays an order with a saved card or a new one (saved first, as the API pays only saved cards).
 * A decline is an answer, not a failure: the order stays pending and can be paid again.
 */
export function useOrderPayment() {
  const [saveCard] = useMutation(SaveCardDocument);
  const [payOrder] = useMutation(PayForOrderDocument);

  /** A card the API accepted, by id; or the errors that stopped it, on their fields. */
  const cardId = async (card: CardChoice): Promise<{ id?: string; errors: FieldError[] }> => {
    if ('savedId' in card) return { id: card.savedId, errors: [] };
    const expiry = readExpiry(card.expiry);
    if (!expiry) return { errors: [{ field: 'expiry', message: 'Enter the expiry date as MM/YY.' }] };
    const result = await saveCard({ variables: { input: { cardNumber: card.cardNumber.replace(/[\s-]/g, ''), cvc: card.cvc.trim(), ...expiry } } }).catch(() => undefined);
    const payload = result?.data?.addPaymentMethod;
    if (!payload) return { errors: [UNREACHABLE] };
    const errors = readUserErrors(payload.userErrors).map((error) => ({ ...error, field: error.field === 'expMonth' || error.field === 'expYear' ? 'expiry' : error.field }));
    return { id: payload.paymentMethod?.id, errors };
  };

  /**
   * `settled`: the order no longer waits for payment (a payment whose answer was lost went through,
   * or it was cancelled meanwhile); its page tells which.
   */
  return async (orderId: string, card: CardChoice): Promise<{ paid: boolean; declined: boolean; settled: boolean; errors: FieldError[] }> => {
    const saved = await cardId(card);
    if (!saved.id) return { paid: false, declined: false, settled: false, errors: saved.errors };
    const result = await payOrder({ variables: { input: { orderId, paymentMethodId: saved.id } } }).catch(() => undefined);
    const payload = result?.data?.payOrder;
    if (!payload) return { paid: false, declined: false, settled: false, errors: [UNREACHABLE] };
    const errors = readUserErrors(payload.userErrors);
    const declined = errors.some((error) => error.code === 'PAYMENT_DECLINED');
    const settled = errors.some((error) => error.code === 'INVALID_STATE');
    return { paid: payload.order?.status === 'PAID', declined, settled, errors: declined ? [{ message: 'Your card was declined. Try another card.' }] : errors };
  };
}
