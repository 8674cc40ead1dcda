/** Names of the template databases the harness builds once per test run: `<prefix><run id>_<subgraph>`. */
export const TEMPLATE_PREFIX = 'greencart_template_';
