/**
 * Loaded by mocha before every test file (.mocharc.json `require`). Sets what the test runs
 * share through the environment, so sequencers the tests start in this process and in child
 * processes get it alike:
 *
 * - PROVENANCE_CHECK_RESPONSES=1: every answer of every sequencer is checked against its
 *   route's response schema, and that serializing it lost no field (sequencer/src/response-check.ts):
 *   the whole suite's traffic proves the schemas complete.
 */
process.env["PROVENANCE_CHECK_RESPONSES"] ??= "1";
