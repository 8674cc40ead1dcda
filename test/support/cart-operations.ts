// The contract's cart operations (client/src/operations.graphql), as the frontends send them.
export const CART_FIELDS = /* GraphQL */ `
  fragment MoneyFields on Money {
    amount
    currencyCode
  }
  fragment CartFields on Cart {
    id
    totalQuantity
    subtotal {
      ...MoneyFields
    }
    items {
      id
      quantity
      lineTotal {
        ...MoneyFields
      }
      product {
        id
        name
        price {
          ...MoneyFields
        }
        stock
        inStock
      }
    }
  }
`;
export const USER_ERROR_FIELDS = /* GraphQL */ `
  fragment UserErrorFields on UserError {
    field
    message
    code
  }
`;
export const CART = /* GraphQL */ `
  query Cart {
    cart {
      ...CartFields
    }
  }
  ${CART_FIELDS}
`;
export const ADD_TO_CART = /* GraphQL */ `
  mutation AddToCart($input: AddToCartInput!) {
    addToCart(input: $input) {
      cart {
        ...CartFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${CART_FIELDS}
  ${USER_ERROR_FIELDS}
`;
export const UPDATE_CART_ITEM = /* GraphQL */ `
  mutation UpdateCartItem($input: UpdateCartItemInput!) {
    updateCartItem(input: $input) {
      cart {
        ...CartFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${CART_FIELDS}
  ${USER_ERROR_FIELDS}
`;
export const REMOVE_FROM_CART = /* GraphQL */ `
  mutation RemoveFromCart($productId: ID!) {
    removeFromCart(productId: $productId) {
      cart {
        ...CartFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${CART_FIELDS}
  ${USER_ERROR_FIELDS}
`;
