export * from './types.js';
export { createMatcher, normalisePostcode, type Matcher, type BlockingMatcher } from './matcher.js';
export * from './identifiers.js';
export { normaliseName, phoneticKey, editDistance, jaroWinkler, compareNames } from './names.js';
export { areNameVariants, variantsOf } from './nicknames.js';
export { compareDobs, parseDob } from './dates.js';
