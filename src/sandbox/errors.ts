// Errors the sandbox answers with, in GitHub's shape ({message, errors, documentation_url, status}).

export interface FieldError {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      message: this.message,
      documentation_url: "https://docs.github.com/rest",
      status: String(this.status),
    };
    if (this.errors) body.errors = this.errors;
    return body;
  }
}

export function notFound(): ApiError {
  return new ApiError(404, "Not Found");
}

/** GitHub's 422: `Validation Failed` with field errors, or a bare message such as `Reference already exists`. */
export function unprocessable(message: string, errors?: FieldError[]): ApiError {
  return new ApiError(422, message, errors);
}

export function validationFailed(errors: FieldError[]): ApiError {
  return new ApiError(422, "Validation Failed", errors);
}
