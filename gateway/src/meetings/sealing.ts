/**
 * The associated data that binds each sealed meetings record to its row (docs/decisions/0018):
 * the one home of these labels. The minutes and action services seal with them; the circulation
 * reads open with them. A label changed here without a migration makes every stored row unreadable.
 */
export const minutesAad = (meetingId: string, caseId: string): string => `minutes:${meetingId}:${caseId}`;
export const actionAad = (actionId: string): string => `action:${actionId}`;
export const actionNoteAad = (updateId: string): string => `action-update:${updateId}`;
