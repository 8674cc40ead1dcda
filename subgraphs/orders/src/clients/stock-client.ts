import { parseDecimalToCents, ServiceCallError, type SubgraphClient } from '@greencart/platform';

/** A line whose stock was taken, with the product as it was at that moment. */
export interface ReservedLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export interface StockProblem {
  productId: string;
  sku: string | null;
  code: 'OUT_OF_STOCK' | 'NOT_FOUND';
  available: number | null;
}

export type Reservation = { reserved: true; lines: ReservedLine[] } | { reserved: false; released: boolean; problems: StockProblem[] };

const RESERVE = /* GraphQL */ `
  mutation ReserveStock($reservationId: ID!, $lines: [StockLineInput!]!) {
    reserveStock(reservationId: $reservationId, lines: $lines) {
      reserved
      released
      lines {
        productId
        sku
        name
        quantity
        unitPrice {
          amount
        }
      }
      problems {
        productId
        sku
        code
        available
      }
    }
  }
`;
const RELEASE = /* GraphQL */ `
  mutation ReleaseStock($reservationId: ID!) {
    releaseStock(reservationId: $reservationId) {
      released
    }
  }
`;

interface ReserveAnswer {
  reserveStock: {
    reserved: boolean;
    released: boolean;
    lines: Array<{ productId: string; sku: string; name: string; quantity: number; unitPrice: { amount: string } }>;
    problems: StockProblem[];
  };
}

/**
 * The products subgraph's internal stock operations, called directly with orders' service
 * credentials. Both are idempotent under the reservation id, so either can be retried.
 */
export interface StockClient {
  /** Takes the stock of every line at once, or none; answers the prices of the moment. */
  reserve(reservationId: string, lines: Array<{ productId: string; quantity: number }>): Promise<Reservation>;
  /** Gives a reservation's stock back (once, however often it is called). */
  release(reservationId: string): Promise<void>;
  /** The same operations, sending one request's id on to products. */
  forRequest(requestId: string): StockClient;
}

export function createStockClient(products: SubgraphClient): StockClient {
  return {
    async reserve(reservationId: string, lines: Array<{ productId: string; quantity: number }>): Promise<Reservation> {
      const { reserveStock: answer } = await products.request<ReserveAnswer>(RESERVE, { reservationId, lines });
      if (!answer.reserved) return { reserved: false, released: answer.released, problems: answer.problems };
      return {
        reserved: true,
        lines: answer.lines.map((line) => {
          const unitPriceCents = parseDecimalToCents(line.unitPrice.amount);
          if (unitPriceCents === undefined) throw new ServiceCallError(`products sent an unreadable price for ${line.productId}`);
          return { productId: line.productId, sku: line.sku, name: line.name, quantity: line.quantity, unitPriceCents };
        }),
      };
    },

    async release(reservationId: string): Promise<void> {
      await products.request<{ releaseStock: { released: boolean } }>(RELEASE, { reservationId });
    },

    forRequest: (requestId) => createStockClient(products.forRequest(requestId)),
  };
}
