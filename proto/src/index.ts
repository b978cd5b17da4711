/**
 * @cctns/proto — the wire contracts of the CCTNS alert network: generated message types and
 * gRPC service definitions (from `defs/cctns/v1/*.proto`, by `npm run gen -w @cctns/proto`).
 */
export * from './gen/cctns/v1/alert.js';
export * from './gen/cctns/v1/link.js';
export * from './gen/cctns/v1/enroll.js';
export * from './gen/cctns/v1/directory.js';
export * from './gen/cctns/v1/records.js';
export * from './gen/cctns/v1/approval.js';
export { enumLabel, type ProtoEnum } from './labels.js';
