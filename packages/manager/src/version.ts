/** The LM version, reported by `tessera-lm version`, in sync requests and request codes. */
export const LM_VERSION = '0.1.0';
