import { Refusal, UserErrorCode, transactionOrRefusal, userError, type UserError } from '@greencart/platform';
import { CustomerRepository } from '../db/customer-repository.js';
import type { AccountsDb, Executor } from '../db/database.js';
import { PaymentMethodRepository } from '../db/payment-method-repository.js';
import type { PaymentMethodRow } from '../db/schema.js';
import { validateCard, type CardInput } from './card-rules.js';
import type { CardVault } from './card-vault.js';
import type { RemovalResult } from './address-book.js';

export type PaymentMethodResult = { value: PaymentMethodRow; userErrors: [] } | { value: null; userErrors: UserError[] };

const cardNotFound = () => new Refusal([userError(UserErrorCode.NOT_FOUND, 'No such payment method.', 'id')]);

/**
 * A customer's saved cards. The number and CVC go to the vault and nowhere else; only the brand,
 * last four digits, expiry and the vault's token are stored. The first card becomes the default.
 */
export class Wallet {
  constructor(
    private readonly db: AccountsDb,
    private readonly vault: CardVault,
  ) {}

  async add(customerId: string, input: CardInput): Promise<PaymentMethodResult> {
    const { card, errors } = validateCard(input);
    if (!card) return { value: null, userErrors: errors };
    // Tokenised before the transaction: a processor call must not hold the customer's lock.
    const processorToken = await this.vault.tokenize(card);
    return this.underLock(customerId, async (methods) => {
      const first = !(await methods.hasActive(customerId));
      return methods.insert(customerId, { brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear, processorToken }, first);
    });
  }

  async makeDefault(customerId: string, id: string): Promise<PaymentMethodResult> {
    return this.underLock(customerId, async (methods) => {
      // Not an active card of the customer's: the refusal rolls the cleared default back too.
      await methods.clearDefault(customerId);
      const method = await methods.makeDefault(customerId, id);
      if (!method) throw cardNotFound();
      return method;
    });
  }

  async remove(customerId: string, id: string): Promise<RemovalResult> {
    return this.underLock(customerId, async (methods) => {
      const removed = await methods.markRemoved(customerId, id);
      if (!removed) throw cardNotFound();
      // Removing the default left none: the newest remaining card takes its place.
      if (!(await methods.hasActiveDefault(customerId))) {
        const next = await methods.newestActive(customerId);
        if (next) await methods.makeDefault(customerId, next.id);
      }
      return { removedId: removed.id };
    });
  }

  private underLock<Value>(customerId: string, work: (methods: PaymentMethodRepository) => Promise<Value>) {
    return transactionOrRefusal<Executor, Value>(this.db, async (tx) => {
      if (!(await new CustomerRepository(tx).lock(customerId))) throw new Refusal([userError(UserErrorCode.NOT_FOUND, 'No such customer.')]);
      return work(new PaymentMethodRepository(tx));
    });
  }
}
