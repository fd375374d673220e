import type { OperationOutcome, Resource } from 'fhir/r4';
import type { RequestContext } from '../context/request-context.js';
import { FhirError, operationOutcome } from '../errors/fhir-error.js';
import type { SearchParams } from '../search/types.js';
import type { CommitResult, WriteOp } from '../store/types.js';
import { findMatches, parseQuery } from './conditional.js';
import { applyFhirPathPatch } from './patch/fhirpath-patch.js';
import { applyJsonPatch } from './patch/json-patch.js';
import { type ServerDeps, versionFromEtag, versionLocation } from './server-context.js';
import type { FhirRequest, FhirResponse } from './types.js';

/** Check a request body is a resource of `type` (and, for update, carries `id`). */
export function bodyResource(request: FhirRequest, type: string, id?: string): Resource {
  const body = request.body as Resource | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new FhirError('invalid', 'The request body must be a FHIR resource');
  if (body.resourceType !== type) {
    throw new FhirError('invalid', `The body is a ${String(body.resourceType)}, but the URL is for ${type}`, {
      expression: ['resourceType'],
    });
  }
  if (id !== undefined) {
    if (body.id === undefined)
      throw new FhirError('invalid', `The body of an update must carry id ${id}`, {
        expression: [`${type}.id`],
      });
    if (body.id !== id)
      throw new FhirError('invalid', `The body's id ${body.id} does not match the URL's id ${id}`, {
        expression: [`${type}.id`],
      });
  }
  return body;
}

/** Commit ops after the access policy and validation, returning the commit. */
export async function commitOps(
  deps: ServerDeps,
  ctx: RequestContext,
  ops: WriteOp[],
): Promise<CommitResult> {
  for (const op of ops) {
    if (op.op !== 'delete') deps.validate(op.resource, op.resource.resourceType);
    await deps.access.canWrite?.(ctx, op);
  }
  await deps.admitWrite();
  return deps.store.commit(ops);
}

/** The response of a single-op write. */
export function writeResponse(commit: CommitResult, message: string): FhirResponse {
  const [result] = commit.results;
  const stored = result!.stored;
  const status = result!.outcome === 'created' ? 201 : 200;
  const outcome: OperationOutcome = operationOutcome('information', 'informational', message);
  return {
    status,
    seq: commit.seq,
    outcome,
    ...(stored ? { stored, location: versionLocation(stored) } : {}),
  };
}

/** create, and conditional create with `If-None-Exist` (0 matches: create; 1: 200 with it; more: 412). */
export async function createResource(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
): Promise<FhirResponse> {
  const resource = bodyResource(request, type);
  const { id: _ignored, ...withoutId } = resource;
  const create = async () => {
    const commit = await commitOps(deps, ctx, [{ op: 'create', resource: withoutId as Resource }]);
    return writeResponse(commit, `Created ${type}/${commit.results[0]!.id}`);
  };
  const ifNoneExist = request.headers?.ifNoneExist;
  if (!ifNoneExist) return create();
  deps.validate(resource, type);
  return deps.conditionalLock.run(async () => {
    const matches = await findMatches(deps, ctx, type, parseQuery(ifNoneExist));
    if (matches.length > 1)
      throw new FhirError('multiple-matches', `If-None-Exist matched more than one ${type}`);
    if (matches.length === 1) {
      const stored = matches[0]!;
      return {
        status: 200,
        stored,
        location: versionLocation(stored),
        outcome: operationOutcome('information', 'informational', `${type}/${stored.id} already exists`),
      };
    }
    const response = await create();
    await deps.settle(response.seq);
    return response;
  });
}

/** update (update-as-create answers 201), with `If-Match`. */
export async function updateResource(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const resource = bodyResource(request, type, id) as Resource & { id: string };
  const ifMatch = request.headers?.ifMatch;
  const commit = await commitOps(deps, ctx, [
    { op: 'update', resource, ...(ifMatch ? { ifMatch: versionFromEtag(ifMatch) } : {}) },
  ]);
  return writeResponse(
    commit,
    `${commit.results[0]!.outcome === 'created' ? 'Created' : 'Updated'} ${type}/${id}`,
  );
}

/** conditional update: 0 matches creates (with the body's id, if any), 1 updates it, more is 412. */
export async function conditionalUpdate(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  criteria: SearchParams,
): Promise<FhirResponse> {
  const resource = bodyResource(request, type);
  return deps.conditionalLock.run(async () => {
    const matches = await findMatches(deps, ctx, type, criteria);
    if (matches.length > 1)
      throw new FhirError('multiple-matches', `The conditional update matched more than one ${type}`);
    let response: FhirResponse;
    if (matches.length === 0) {
      response = resource.id
        ? await updateResource(deps, ctx, request, type, resource.id)
        : await createResource(
            deps,
            ctx,
            { ...request, headers: { ...request.headers, ifNoneExist: '' } },
            type,
          );
    } else {
      const id = matches[0]!.id;
      if (resource.id !== undefined && resource.id !== id) {
        throw new FhirError(
          'invalid',
          `The body's id ${resource.id} is not the id of the matching resource (${id})`,
        );
      }
      response = await updateResource(deps, ctx, { ...request, body: { ...resource, id } }, type, id);
    }
    await deps.settle(response.seq);
    return response;
  });
}

/** patch with JSON Patch or FHIRPath Patch; the result must be a valid resource of the same type and id. */
export async function patchResource(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const current = await deps.store.read(type, id);
  if (!current) throw new FhirError('not-found', `${type}/${id} is not known`);
  if (current.deleted) throw new FhirError('gone', `${type}/${id} is deleted`);
  const ifMatch = request.headers?.ifMatch;
  if (ifMatch && versionFromEtag(ifMatch) !== current.versionId) {
    throw new FhirError(
      'version-conflict',
      `${type}/${id} is at version ${current.versionId}, not ${versionFromEtag(ifMatch)}`,
    );
  }
  const contentType = request.headers?.contentType ?? '';
  const patched = contentType.includes('json-patch')
    ? applyJsonPatch(current.resource!, request.body)
    : applyFhirPathPatch(current.resource!, request.body);
  if (patched.resourceType !== type || patched.id !== id) {
    throw new FhirError('unprocessable', 'A patch may not change resourceType or id');
  }
  try {
    deps.validate(patched, type);
  } catch (error) {
    if (FhirError.is(error)) {
      throw new FhirError('unprocessable', `The patched resource is not valid: ${error.message}`, {
        issues: error.outcome.issue.slice(1),
      });
    }
    throw error;
  }
  const commit = await commitOps(deps, ctx, [
    {
      op: 'update',
      resource: patched as Resource & { id: string },
      ifMatch: current.versionId,
      mustExist: true,
    },
  ]);
  return writeResponse(commit, `Patched ${type}/${id}`);
}

/** conditional patch: exactly one match is patched; none is 404, more is 412. */
export async function conditionalPatch(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  criteria: SearchParams,
): Promise<FhirResponse> {
  const matches = await findMatches(deps, ctx, type, criteria);
  if (matches.length === 0) throw new FhirError('not-found', `No ${type} matches the conditional patch`);
  if (matches.length > 1)
    throw new FhirError('multiple-matches', `The conditional patch matched more than one ${type}`);
  return patchResource(deps, ctx, request, type, matches[0]!.id);
}

/** delete (a tombstone version); deleting what does not exist succeeds too. */
export async function deleteResource(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const ifMatch = request.headers?.ifMatch;
  const commit = await commitOps(deps, ctx, [
    { op: 'delete', resourceType: type, id, ...(ifMatch ? { ifMatch: versionFromEtag(ifMatch) } : {}) },
  ]);
  const result = commit.results[0]!;
  const message =
    result.outcome === 'deleted'
      ? `Deleted ${type}/${id}`
      : `${type}/${id} did not exist or was already deleted`;
  return {
    status: 200,
    seq: commit.seq,
    outcome: operationOutcome('information', 'informational', message),
    ...(result.stored ? { stored: result.stored } : {}),
  };
}

/** conditional delete: one match is deleted, none succeeds, several is 412. */
export async function conditionalDelete(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  criteria: SearchParams,
): Promise<FhirResponse> {
  return deps.conditionalLock.run(async () => {
    const matches = await findMatches(deps, ctx, type, criteria);
    if (matches.length > 1)
      throw new FhirError('multiple-matches', `The conditional delete matched more than one ${type}`);
    if (matches.length === 0) {
      return {
        status: 200,
        outcome: operationOutcome('information', 'informational', `No ${type} matched; nothing deleted`),
      };
    }
    const response = await deleteResource(deps, ctx, request, type, matches[0]!.id);
    await deps.settle(response.seq);
    return response;
  });
}
