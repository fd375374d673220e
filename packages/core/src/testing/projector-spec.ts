import type { Resource } from 'fhir/r4';
import type { Projector, ProjectorContext } from '../projection/types.js';
import type { ResourceStore } from '../store/create-store.js';
import type { ChangeEvent, WriteOp } from '../store/types.js';

/** What `then` is given. */
export interface ProjectorSpecResult {
  store: ResourceStore;
  /** The generation the spec projected into (1). */
  generation: number;
  /** Every event that was applied, in order (each was applied twice). */
  events: ChangeEvent[];
}

/** Options of {@link projectorSpec}. */
export interface ProjectorSpecOptions {
  projector: Projector;
  /** A fresh, empty store for the spec (closed by the spec when it ends). */
  store: () => ResourceStore | Promise<ResourceStore>;
}

/**
 * Given/when/then specs for projectors (after Emmett's). `given` resources are
 * committed and projected, `when` commits (one commit per inner array) are
 * projected, and every batch is applied TWICE, so a projector that is not
 * idempotent fails the `then` assertions.
 *
 * @example
 * ```ts
 * await projectorSpec({ projector, store: () => openLmdbStore({ path: tmp() }) })
 *   .given([{ resourceType: 'Patient', id: 'p1' }])
 *   .when([[{ op: 'delete', resourceType: 'Patient', id: 'p1' }]])
 *   .then(async ({ generation }) => {
 *     expect(countOf(generation)).toBe(0);
 *   });
 * ```
 */
export function projectorSpec(options: ProjectorSpecOptions) {
  let given: Resource[] = [];
  let when: WriteOp[][] = [];
  const spec = {
    /** Resources that exist before (each committed as an update, so give them ids). */
    given(resources: Resource[]) {
      given = resources;
      return spec;
    },
    /** The commits under test: one inner array per commit. */
    when(commits: WriteOp[][]) {
      when = commits;
      return spec;
    },
    /** Run the spec, then the assertions. */
    // biome-ignore lint/suspicious/noThenProperty: given/when/then is the point of this helper; awaiting the spec runs it
    async then(assert: (result: ProjectorSpecResult) => void | Promise<void>): Promise<void> {
      const store = await options.store();
      const { projector } = options;
      const generation = 1;
      const controller = new AbortController();
      const checkpointKey = `spec/${projector.name}`;
      const applied: ChangeEvent[] = [];
      const project = async (fromSeq: number) => {
        const read = await store.readChanges(fromSeq, 100_000);
        const batch = read.filter((e) => projector.handles?.(e) ?? true);
        if (batch.length === 0) return;
        const lastSeq = read[read.length - 1]!.seq;
        const ctx: ProjectorContext = {
          store,
          generation,
          checkpointKey,
          lastSeq,
          signal: controller.signal,
        };
        await projector.apply(batch, ctx);
        await projector.apply(batch, ctx);
        applied.push(...batch);
      };
      try {
        await projector.reset?.(generation);
        await projector.activate?.(generation);
        if (given.length > 0) {
          const ops = given.map((resource): WriteOp => {
            if (!resource.id) return { op: 'create', resource };
            return { op: 'update', resource: resource as Resource & { id: string } };
          });
          await store.commit(ops);
          await project(1);
        }
        for (const ops of when) {
          const from = (await store.headSeq()) + 1;
          await store.commit(ops);
          await project(from);
        }
        await assert({ store, generation, events: applied });
      } finally {
        controller.abort();
        await store.close();
      }
    },
  };
  return spec;
}
