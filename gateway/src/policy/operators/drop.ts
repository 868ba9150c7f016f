import { DropReason, acceptsAny, drop, type CompiledOperator, type OpResult } from './types.js';

const dropped: OpResult = Object.freeze(drop(DropReason.DROPPED_BY_RULE)) as OpResult;

/** Withholds the field because the rule says so. */
export const dropOperator: CompiledOperator = {
  name: 'drop',
  transforms: true,
  generalises: true,
  accepts: acceptsAny,
  apply: () => dropped,
};
