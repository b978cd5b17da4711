/**
 * @cctns/hq-console — the HQ console (arrives with its own issue) and `cctns up`, the embedded
 * network, which lives here because this package sits above the broker and the station agent.
 */
export {
  HQ_OPERATOR,
  hqDir,
  stationDir,
  stationsOf,
  up,
  type RunningNetwork,
  type UpOptions,
} from './up/up.js';
