/**
 * Errors a client can act on. Each carries the HTTP status it maps to and a machine-readable
 * `code`; `lambdas/http/response.ts` turns them into responses in one place.
 */
export class TidemarkError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends TidemarkError {
  constructor(message: string, code = 'bad_request') {
    super(message, 400, code);
  }
}

export class UnauthorizedError extends TidemarkError {
  constructor(message = 'Missing, unknown or revoked key.') {
    super(message, 401, 'unauthorized');
  }
}

export class ForbiddenError extends TidemarkError {
  constructor(message: string) {
    super(message, 403, 'forbidden');
  }
}

export class NotFoundError extends TidemarkError {
  constructor(message: string) {
    super(message, 404, 'not_found');
  }
}

export class PayloadTooLargeError extends TidemarkError {
  constructor(
    message: string,
    readonly limit: string,
    readonly max: number,
  ) {
    super(message, 413, 'payload_too_large');
  }
}

export class UnsupportedMediaTypeError extends TidemarkError {
  constructor(message: string) {
    super(message, 415, 'unsupported_media_type');
  }
}

/**
 * Rejected rows could not be kept for audit after every retry (DynamoDB left them unprocessed):
 * the request fails instead of dropping them silently; resending the request is safe (accepted rows
 * are stored once) and keeps them on a later try.
 */
export class RejectionsNotKeptError extends TidemarkError {
  constructor(readonly rows: number) {
    super(`${rows} rejected rows could not be kept for audit (storage throttled); resend the request.`, 503, 'rejections_not_kept');
  }
}
