import { DecimalScalar, scalarResolvers } from '@greencart/platform';
import type { Resolvers } from '../generated/resolvers-types.js';
import { Cart } from './Cart.js';
import { CartItem } from './CartItem.js';
import { Customer } from './Customer.js';
import { Invoice } from './Invoice.js';
import { InvoiceConnection } from './InvoiceConnection.js';
import { InvoiceLine } from './InvoiceLine.js';
import { Order } from './Order.js';
import { OrderConnection } from './OrderConnection.js';
import { OrderItem } from './OrderItem.js';
import { Product } from './Product.js';
import { Transaction } from './Transaction.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: scalarResolvers.DateTime,
  Query,
  Mutation,
  Subscription,
  Cart,
  CartItem,
  Customer,
  Order,
  OrderItem,
  Product,
  OrderConnection,
  Transaction,
  Invoice,
  InvoiceLine,
  InvoiceConnection,
};
