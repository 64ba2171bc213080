/**
 * @tessera/core: the pure heart of Tessera. Signed documents (envelope), vendor keys and trust bundles, license
 * documents, LMIDs, online keys, request codes, and evaluate(). No I/O, no clock reads: time and keys come in.
 */
export { CODE_DESCRIPTIONS, CODE_HTTP_STATUS, CODES, httpStatusOf, STATUS_DESCRIPTIONS } from './codes.js';
export type { Code, LicenseStatus } from './codes.js';
export { fail, ok } from './result.js';
export type { Failure, Result, Success } from './result.js';
export { decodeBase64Url, encodeBase64Url } from './base64url.js';
export { generateEd25519, privateKeyFromSeed, publicKeyFromRaw, rawPublicKey, rawSeed, sha256 } from './crypto.js';
export type { KeyObject } from './crypto.js';
export {
  armor,
  DOCUMENT_NAMES,
  DOCUMENT_TYPES,
  FORMAT_VERSION,
  frameDocument,
  normalizeDocumentText,
  parseEnvelope,
  sealEnvelope,
  verifyEnvelope,
} from './envelope.js';
export type { DocumentType, Envelope, Signer } from './envelope.js';
export {
  generateSigningKey,
  kidForPublicKey,
  openVendorDocument,
  parseTrustBundle,
  serializeTrustBundle,
  signingKeyFromSeed,
  signingKeySeed,
  readBundleKeys,
  verifyingKey,
} from './keyring.js';
export type { SigningKey, TrustBundle, TrustBundleEntry, TrustedKey, VendorKeyState } from './keyring.js';
export { DEFAULT_GRACE_DAYS, DEFAULT_WARN_DAYS, issueLicense, MAX_OUTAGE_GRACE_HOURS, readLicense } from './license.js';
export type { License, LicenseDocument, LicenseInput, LicenseMode } from './license.js';
export { deriveLmid, fingerprintDigest, LMID_LENGTH, parseLmid } from './lmid.js';
export { generateOnlineKey, maskOnlineKey, ONLINE_KEY_LENGTH, parseOnlineKey } from './online-key.js';
export { createRequestCode, readRequestCode } from './request-code.js';
export type { Contact, HostSummary, LmSigner, RequestCode, RequestCodeBody, RequestCodeInput } from './request-code.js';
export { checkLicenseKey, DEFAULT_CLOCK_TOLERANCE_MS, evaluate, evaluationOfFailure } from './evaluate.js';
export type { Evaluation, EvaluationContext } from './evaluate.js';
export { DAY_MS, parseIsoTime } from './time.js';
export type { Clock } from './time.js';
export { NAME, NAME_PATTERN, SEAT_SECRET } from './fields.js';
export { escapeHtml } from './html.js';
export {
  endorseRoot,
  formatTrustRoot,
  parseTrustRoot,
  parseTrustRoots,
  readSignedTrustBundle,
  readTrustFile,
  rootKidForPublicKey,
  serializeTrustFile,
  signTrustBundle,
} from './trust-root.js';
export type { SignedTrustBundle, TrustFile, TrustRoot } from './trust-root.js';
export { LM_ANSWER_MSG, NONCE, readLmAnswer, signLmAnswer } from './lm-answer.js';
export type { LmAnswer, LmAnswerBody } from './lm-answer.js';
export { issueClockReset, readClockReset } from './clock-reset.js';
export type { ClockReset, ClockResetDocument } from './clock-reset.js';
export { buildSyncRequest, makeTimeToken, readSyncRequest, SYNC_PATH, SYNC_REQUEST_MSG, TIME_MSG } from './sync-protocol.js';
export type { SyncRequest, SyncRequestInput } from './sync-protocol.js';
export type {
  ApiErrorBody,
  CheckoutRequest,
  CheckoutResponse,
  HealthResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  InfoResponse,
  LeaseView,
  LicenseResponse,
  LmStatus,
  LoadRequest,
  ReleaseRequest,
  ReleaseResponse,
  ReplicaInfo,
  RequestCodeRequest,
  RequestCodeResponse,
  RoleUsage,
  SyncResponse,
  UsageResponse,
  VersionResponse,
} from './lm-api.js';
