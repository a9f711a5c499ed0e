/** Sent in `context.library.version`; the build checks it against package.json. */
export const SDK_VERSION = '0.2.0';
