/**
 * The few FHIR R4 shapes the tests read, kept local so that `@fhirstream/http`
 * needs no `@types/fhir`.
 */

export interface Resource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string };
  // biome-ignore lint/suspicious/noExplicitAny: other elements are probed freely
  [element: string]: any;
}

export interface OperationOutcome extends Resource {
  resourceType: 'OperationOutcome';
  issue: Array<{ severity: string; code: string; diagnostics?: string; expression?: string[] }>;
}

export interface BundleEntry {
  fullUrl?: string;
  resource?: Resource;
  search?: { mode?: string };
  request?: { method: string; url: string };
  response?: { status: string; location?: string; etag?: string; lastModified?: string; outcome?: Resource };
}

export interface Bundle extends Resource {
  type: string;
  total?: number;
  link?: Array<{ relation: string; url: string }>;
  entry?: BundleEntry[];
}

export interface CapabilityStatement extends Resource {
  fhirVersion: string;
  kind: string;
  format: string[];
  rest?: Array<{
    mode: string;
    interaction?: Array<{ code: string }>;
    resource?: Array<{
      type: string;
      interaction?: Array<{ code: string }>;
      searchParam?: Array<{ name: string; type: string }>;
      conditionalCreate?: boolean;
    }>;
  }>;
}

export interface Patient extends Resource {
  name?: Array<{ family?: string; given?: string[] }>;
  active?: boolean;
  identifier?: Array<{ system?: string; value?: string }>;
}
