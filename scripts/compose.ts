// Composes supergraph.yaml into the committed supergraph.graphql (Rover cannot be installed here).
import { writeFileSync } from 'node:fs';
import { apiSchemaOf, apiSchemaPath, composeSupergraph, kubernetesSupergraphPath, supergraphSchemaPath } from './lib/supergraph.js';

const { supergraphSdl, errors, hints } = composeSupergraph();
for (const hint of hints) console.warn(`hint: ${hint}`);
if (!supergraphSdl) {
  console.error(`Composition failed:\n${errors.map((error) => `  ${error}`).join('\n')}`);
  process.exit(1);
}
writeFileSync(supergraphSchemaPath, supergraphSdl);
writeFileSync(kubernetesSupergraphPath, supergraphSdl);
writeFileSync(apiSchemaPath, apiSchemaOf(supergraphSdl));
console.log(`Wrote ${supergraphSchemaPath} (and its copy ${kubernetesSupergraphPath}) and ${apiSchemaPath}`);
