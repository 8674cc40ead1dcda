import { useState } from 'react';
import type { FieldError } from '../payment';
import { TextField } from './TextField';

export interface SavedAddress {
  id: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
  isDefault: boolean;
}

export interface NewAddress {
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  country: string;
}

export type AddressChoice = { savedId: string } | NewAddress;

const NEW = 'new';
const EMPTY: NewAddress = { line1: '', line2: '', city: '', postalCode: '', country: 'US' };
/** Where the shop delivers in this demo; the API checks the code itself (ISO 3166-1 alpha-2). */
const COUNTRIES = [
  ['US', 'United States'],
  ['CA', 'Canada'],
  ['GB', 'United Kingdom'],
  ['IE', 'Ireland'],
  ['DE', 'Germany'],
  ['FR', 'France'],
  ['NL', 'Netherlands'],
] as const;

export const describeAddress = (address: Omit<SavedAddress, 'id' | 'isDefault'>) => [address.line1, address.line2, `${address.city} ${address.postalCode}`, address.country].filter(Boolean).join(', ');

/** Where to ship: a saved address, or a new one typed here. */
export function AddressFields({ saved, errors, onChange }: { saved: readonly SavedAddress[]; errors: readonly FieldError[]; onChange(choice: AddressChoice): void }) {
  const [selected, setSelected] = useState(() => saved.find((address) => address.isDefault)?.id ?? saved[0]?.id ?? NEW);
  const [address, setAddress] = useState(EMPTY);
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;

  const choose = (id: string) => {
    setSelected(id);
    onChange(id === NEW ? address : { savedId: id });
  };
  const type = (changes: Partial<NewAddress>) => {
    const next = { ...address, ...changes };
    setAddress(next);
    onChange(next);
  };

  return (
    <fieldset className="choice-list">
      <legend>Shipping address</legend>
      {saved.map((option) => (
        <label key={option.id} className="choice">
          <input type="radio" name="address" checked={selected === option.id} onChange={() => choose(option.id)} />
          <span>{describeAddress(option)}</span>
        </label>
      ))}
      {saved.length > 0 && (
        <label className="choice">
          <input type="radio" name="address" checked={selected === NEW} onChange={() => choose(NEW)} />
          <span>A new address</span>
        </label>
      )}
      {selected === NEW && (
        <div>
          <TextField label="Address" autoComplete="address-line1" value={address.line1} onChange={(event) => type({ line1: event.target.value })} error={errorFor('line1')} />
          <TextField label="Apartment, suite (optional)" autoComplete="address-line2" value={address.line2} onChange={(event) => type({ line2: event.target.value })} error={errorFor('line2')} />
          <div className="form-row">
            <TextField label="City" autoComplete="address-level2" value={address.city} onChange={(event) => type({ city: event.target.value })} error={errorFor('city')} />
            <TextField label="Postal code" autoComplete="postal-code" value={address.postalCode} onChange={(event) => type({ postalCode: event.target.value })} error={errorFor('postalCode')} />
            <label className="field">
              <span>Country</span>
              <select value={address.country} autoComplete="country" onChange={(event) => type({ country: event.target.value })}>
                {COUNTRIES.map(([code, name]) => (
                  <option key={code} value={code}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </div>
      )}
    </fieldset>
  );
}

export const initialAddressChoice = (saved: readonly SavedAddress[]): AddressChoice => {
  const address = saved.find((option) => option.isDefault) ?? saved[0];
  return address ? { savedId: address.id } : EMPTY;
};
