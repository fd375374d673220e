/**
 * The few FHIR R4 shapes this package reads and writes, typed locally and
 * loosely (the notification JSON is built by hand to match the Backport IG).
 */

/** An extension (only the value types used here). */
export interface Extension {
  url: string;
  valueString?: string;
  valueCode?: string;
  valueUnsignedInt?: number;
  valuePositiveInt?: number;
  valueCanonical?: string;
  valueCoding?: { system?: string; code?: string; display?: string };
  [key: string]: unknown;
}

/** A primitive's sibling element (`_criteria`, `_payload`, `_type`). */
export interface PrimitiveElement {
  extension?: Extension[];
}

/** R4 `Subscription` as posted by clients (criteria-based or Backport topic-based). */
export interface SubscriptionResource {
  resourceType: 'Subscription';
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; profile?: string[] };
  status?: string;
  contact?: unknown[];
  end?: string;
  reason?: string;
  criteria?: string;
  _criteria?: PrimitiveElement;
  error?: string;
  channel?: {
    extension?: Extension[];
    type?: string;
    _type?: PrimitiveElement;
    endpoint?: string;
    payload?: string;
    _payload?: PrimitiveElement;
    header?: string[];
  };
  [key: string]: unknown;
}

/** A `Parameters.parameter`. */
export interface ParametersParameter {
  name: string;
  part?: ParametersParameter[];
  [value: string]: unknown;
}

/** A `Parameters` resource. */
export interface ParametersResource {
  resourceType: 'Parameters';
  id?: string;
  meta?: { profile?: string[] };
  parameter: ParametersParameter[];
}

/** A `Bundle.entry` of a notification or status Bundle. */
export interface BundleEntry {
  fullUrl?: string;
  resource?: { resourceType: string; [k: string]: unknown };
  search?: { mode: 'match' | 'include' | 'outcome' };
  request?: { method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'; url: string };
  response?: { status: string; etag?: string; lastModified?: string; location?: string };
}

/** A notification (`history`) or `$status` (`searchset`) Bundle. */
export interface Bundle {
  resourceType: 'Bundle';
  id?: string;
  meta?: { profile?: string[] };
  type: 'history' | 'searchset';
  timestamp?: string;
  total?: number;
  entry: BundleEntry[];
}
