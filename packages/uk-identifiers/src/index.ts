export {
  nhsCheckDigit, hasValidNhsCheckDigit, normaliseNhsNumber, isValidNhsNumber, normaliseNhsNumberLoose, nhsNumberDigits,
} from './nhs-number.js';
export {
  PNC_CHECK_LETTERS, pncCheckLetter, parsePncId, isValidPncId, normalisePncId, pncIdShape, type ParsedPncId,
} from './pnc-id.js';
export {
  parsePostcode, isValidPostcode, generalisePostcode, postcodeKey, postcodeKeySector, POSTCODE_AREAS, hasKnownPostcodeArea,
  type ParsedPostcode, type PostcodeLevel,
} from './postcode.js';
export { normaliseUprn, uprnDigits } from './uprn.js';
export { UPN_CHECK_LETTERS, normaliseUpn } from './upn.js';
