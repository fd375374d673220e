/**
 * One HTTP request as the FHIR HTTP core sees it, free of any framework and of
 * WHATWG objects (which cost more than the work itself for a read by id).
 */
export interface HttpExchange {
  method: string;
  /** Path and query as sent, e.g. `/fhir/Patient?gender=female`. */
  url: string;
  /** `http://host:port`, for absolute links. */
  origin: string;
  /** A request header by lower-case name. */
  header(name: string): string | null;
  /** The body's chunks, when there is one. Stopping early refuses the rest. */
  body: AsyncIterable<Uint8Array> | undefined;
}

/** What the FHIR HTTP core answers. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string | null;
}

/** The FHIR HTTP core: an exchange in, a result out. */
export type FhirHttpCore = (exchange: HttpExchange) => Promise<HttpResult>;
