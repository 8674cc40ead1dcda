import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { printExecutableGraphQLDocument } from '@graphql-tools/documents';
import { Kind, OperationTypeNode, type DocumentNode } from 'graphql';
import { GRAPHQL_HTTP_URL } from './config';
import { tokenStore } from './auth';
import { createLiveClient } from './live';

/** The hash GraphQL Code Generator's client preset gave the document (its key in persisted-documents.json). */
function persistedHash(document: DocumentNode): string {
  const hash = (document as DocumentNode & { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error('A document without a persisted-document hash: write it in a .graphql file under src/ and run npm run codegen');
  return hash;
}

const isSubscription = (document: DocumentNode) => document.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION);

/**
 * Apollo Client as a frontend team would set it up against GreenCart:
 * - queries and mutations over HTTP, each named by its persisted-document hash (queries over GET,
 *   so public reads can be cached); a gateway that does not know the hash yet (development's
 *   automatic persisted queries) is sent the text once, printed exactly as it was hashed;
 * - `@defer` parts merged as they arrive;
 * - subscriptions over the one WebSocket (live.ts);
 * - the token as `Authorization: Bearer`, dropped when the API says it is no longer good.
 */
export function createApolloClient(): ApolloClient {
  const signOutWhenRefused = new ErrorLink(({ error }) => {
    const unauthenticated =
      (CombinedGraphQLErrors.is(error) && error.errors.some((graphQLError) => graphQLError.extensions?.code === 'UNAUTHENTICATED')) ||
      (typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 401);
    // Only a token that was sent can be refused; asking for a customer's data anonymously is the page's to handle.
    if (unauthenticated && tokenStore.read()) tokenStore.write(null);
  });

  const withToken = new ApolloLink((operation, forward) => {
    const token = tokenStore.read();
    if (token) operation.setContext(({ headers = {} }: { headers?: Record<string, string> }) => ({ headers: { ...headers, authorization: `Bearer ${token}` } }));
    return forward(operation);
  });

  const http = ApolloLink.from([
    new PersistedQueryLink({ generateHash: persistedHash, useGETForHashedQueries: true }),
    new HttpLink({ uri: GRAPHQL_HTTP_URL, print: (document) => printExecutableGraphQLDocument(document as DocumentNode) }),
  ]);
  const live = new GraphQLWsLink(createLiveClient());

  return new ApolloClient({
    link: ApolloLink.from([signOutWhenRefused, withToken, ApolloLink.split(({ query }) => isSubscription(query), live, http)]),
    cache: new InMemoryCache({
      typePolicies: {
        // Value types without an id: an update replaces them whole.
        Money: { merge: true },
        Rating: { merge: true },
      },
    }),
    incrementalHandler: new Defer20220824Handler(),
    // No clientAwareness: Apollo Client 4 sends it as apollographql-client-name/-version headers,
    // which the gateway's CORS does not allow (it allows apollo-client-name/-version).
  });
}
