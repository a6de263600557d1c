import { ErrorCode } from '../errors/error-codes';

export interface SuccessEnvelope<T> {
  success: true;
  data: T;
  message: string;
  timestamp: string;
}

export interface ErrorEnvelope {
  success: false;
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  timestamp: string;
}

export function successEnvelope<T>(data: T, message: string): SuccessEnvelope<T> {
  return { success: true, data, message, timestamp: new Date().toISOString() };
}

export function errorEnvelope(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ErrorEnvelope {
  return {
    success: false,
    error:
      details && Object.keys(details).length > 0 ? { code, message, details } : { code, message },
    timestamp: new Date().toISOString(),
  };
}
