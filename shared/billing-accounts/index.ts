/**
 * What the billing accounts offer other features besides their domain (./domain.ts): the keys and
 * the item codec of customers and memberships (the audit reads them by key to find drift).
 */
export { customerKey, membershipKey, toCustomer } from './store.js';
