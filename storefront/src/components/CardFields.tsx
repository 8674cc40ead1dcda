import { useState } from 'react';
import type { CardChoice, FieldError } from '../payment';
import { TextField } from './TextField';

export interface SavedCard {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  isDefault: boolean;
}

const NEW = 'new';

/**
 * The card to pay with: one of the saved cards, or a new one. Calls `onChange` with the choice as
 * it stands, so the form around it decides when to pay.
 */
export function CardFields({ saved, errors, onChange }: { saved: readonly SavedCard[]; errors: readonly FieldError[]; onChange(choice: CardChoice): void }) {
  const [selected, setSelected] = useState(() => saved.find((card) => card.isDefault)?.id ?? saved[0]?.id ?? NEW);
  const [card, setCard] = useState({ cardNumber: '', expiry: '', cvc: '' });
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;

  const choose = (id: string) => {
    setSelected(id);
    onChange(id === NEW ? card : { savedId: id });
  };
  const type = (changes: Partial<typeof card>) => {
    const next = { ...card, ...changes };
    setCard(next);
    onChange(next);
  };

  return (
    <fieldset className="choice-list">
      <legend>Payment</legend>
      {saved.map((option) => (
        <label key={option.id} className="choice">
          <input type="radio" name="card" checked={selected === option.id} onChange={() => choose(option.id)} />
          <span>
            {option.brand} ending in {option.last4} · expires {String(option.expMonth).padStart(2, '0')}/{String(option.expYear).slice(-2)}
          </span>
        </label>
      ))}
      {saved.length > 0 && (
        <label className="choice">
          <input type="radio" name="card" checked={selected === NEW} onChange={() => choose(NEW)} />
          <span>A new card</span>
        </label>
      )}
      {selected === NEW && (
        <div className="form-row">
          <TextField
            label="Card number"
            inputMode="numeric"
            autoComplete="cc-number"
            value={card.cardNumber}
            onChange={(event) => type({ cardNumber: event.target.value })}
            error={errorFor('cardNumber')}
          />
          <TextField label="Expiry (MM/YY)" autoComplete="cc-exp" placeholder="MM/YY" value={card.expiry} onChange={(event) => type({ expiry: event.target.value })} error={errorFor('expiry')} />
          <TextField label="CVC" inputMode="numeric" autoComplete="cc-csc" value={card.cvc} onChange={(event) => type({ cvc: event.target.value })} error={errorFor('cvc')} />
        </div>
      )}
    </fieldset>
  );
}

/** The choice CardFields starts with, before the shopper touches it. */
export const initialCardChoice = (saved: readonly SavedCard[]): CardChoice => {
  const card = saved.find((option) => option.isDefault) ?? saved[0];
  return card ? { savedId: card.id } : { cardNumber: '', expiry: '', cvc: '' };
};
