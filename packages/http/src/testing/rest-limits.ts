import { describe, expect, it } from 'vitest';
import { SUITE_LIMITS } from './fixture.js';
import { expectOutcome, prng, type RestSuite } from './rest-suite.js';

/** The REST suite: formats and limits. */
export function describeFormatsAndLimits(suite: RestSuite): void {
  describe('formats and limits', () => {
    it('XML is refused: _format=xml and Accept xml → 406, an XML body → 415', async () => {
      expectOutcome(await suite.call('metadata?_format=xml'), 406);
      expectOutcome(await suite.call('metadata', { headers: { accept: 'application/fhir+xml' } }), 406);
      expect(
        (await suite.call('metadata?_format=json', { headers: { accept: 'application/fhir+xml' } })).status,
      ).toBe(200);
      expect((await suite.call('metadata', { headers: { accept: 'application/fhir+json' } })).status).toBe(
        200,
      );
      expectOutcome(
        await suite.call('Patient', {
          method: 'POST',
          body: '<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>',
          headers: { 'content-type': 'application/fhir+xml' },
        }),
        415,
      );
      expectOutcome(
        await suite.call('Patient', {
          method: 'POST',
          body: 'active=true',
          headers: { 'content-type': 'text/plain' },
        }),
        415,
      );
    });

    it('a body over the limit answers 413 and writes nothing', async () => {
      const before = await suite.logHead();
      const big = {
        resourceType: 'Patient',
        text: { status: 'generated', div: 'x'.repeat(SUITE_LIMITS.maxBodyBytes + 10) },
      };
      expectOutcome(await suite.call('Patient', { method: 'POST', body: big }), 413);
      expect(await suite.logHead()).toBe(before);
      // the connection (or the handler) is still usable afterwards
      expect((await suite.call('metadata')).status).toBe(200);
    });

    it('a streamed (chunked) body over the limit answers 413 too', async () => {
      const before = await suite.logHead();
      const chunk = new TextEncoder().encode(
        `{"resourceType":"Patient","text":{"div":"${'z'.repeat(16 * 1024)}`,
      );
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > SUITE_LIMITS.maxBodyBytes * 4) controller.close();
          else {
            sent += chunk.length;
            controller.enqueue(chunk);
          }
        },
      });
      const send = suite.mounted.fetch ?? ((url: string, init?: RequestInit) => fetch(url, init));
      const res = await send(`${suite.mounted.baseUrl}/Patient`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect((await res.json()).resourceType).toBe('OperationOutcome');
      expect(await suite.logHead()).toBe(before);
      expect((await suite.call('metadata')).status).toBe(200);
    });

    it('errors are OperationOutcomes: unknown interactions, methods and operations', async () => {
      expectOutcome(await suite.call('Patient/1/2/3/4/5'), 404);
      expectOutcome(await suite.call('metadata', { method: 'DELETE' }), 405);
      expectOutcome(await suite.call('Patient/$nope'), 404);
      expectOutcome(await suite.call('Patient/%E0%A4%A'), 400);
      expectOutcome(await suite.call('Patient', { method: 'PUT', body: { resourceType: 'Patient' } }), 400);
    });

    it('no input makes the server answer 5xx (200 random requests)', async () => {
      const random = prng(0x5eed + suite.name.length);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
      const segments = [
        'Patient',
        'Observation',
        'Bundle',
        'NotAType',
        'metadata',
        '_history',
        '_search',
        '$validate',
        '$everything',
        '%zz',
        '%E0%A4%A',
        'a$b',
        '*',
        '1',
        'x'.repeat(80),
        '-',
        '%20',
        'Patient%2F1',
        '_history/1',
      ];
      const queries = [
        '',
        '_count=-1',
        '_count=abc',
        '_count=99999999999999999999',
        '_since=garbage',
        '_since=2020',
        '_at=2020-13',
        '_format=xml',
        '_format=%zz',
        '_summary=bad',
        '_summary=count',
        '_elements=',
        '_elements=name,,',
        'identifier=%7C',
        '_cursor=abc',
        '_cursor=-5',
        '_sort=-nothing',
        '_include=*',
        'name:unknown=x',
        'birthdate=gt',
        '_pretty=true',
        '_id=a&_id=b',
      ];
      const bodies: Array<string | undefined> = [
        undefined,
        '',
        '{',
        'null',
        '[]',
        '"string"',
        '42',
        '{}',
        '{"resourceType":"Patient"}',
        '{"resourceType":"Patient","id":"fuzz-1"}',
        '{"resourceType":"Patient","id":5,"meta":"x"}',
        '{"resourceType":"Bundle","type":"transaction","entry":[{}]}',
        '{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"FOO","url":"x"}}]}',
        '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Observation"}}]}',
        '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PATCH","url":"Patient/1"},"resource":{"resourceType":"Binary","data":"!!"}}]}',
        '{"resourceType":"Bundle","type":"batch","entry":null}',
        '{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"move"},{"name":"path","valueString":"Patient.(("}]}]}',
        '[{"op":"remove","path":"/nope"}]',
        '[{"op":"bogus"}]',
        '[{"op":"replace","path":"/resourceType","value":"Observation"}]',
        '{"resourceType":"Patient","extension":[{"url":5}],"contained":[{"resourceType":"Nope"}]}',
        `{"resourceType":"Patient","name":[${'{"given":['.repeat(50)}${']}'.repeat(50)}]}`,
        `${'['.repeat(2000)}${']'.repeat(2000)}`,
        `{"resourceType":"Patient","text":{"status":"generated","div":"${'y'.repeat(70_000)}"}}`,
        'identifier=x&name=y',
        '\u0000\u0001\u0002',
      ];
      const contentTypes = [
        undefined,
        'application/fhir+json',
        'application/json',
        'application/json-patch+json',
        'application/x-www-form-urlencoded',
        'application/fhir+xml',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/fhir+json; charset=latin1',
        'garbage',
      ];
      const extraHeaders: Array<Record<string, string>> = [
        {},
        { 'if-match': 'garbage' },
        { 'if-match': 'W/"1"' },
        { 'if-none-match': '*' },
        { 'if-none-exist': 'identifier=%zz' },
        { 'if-none-exist': '' },
        { 'if-modified-since': 'not a date' },
        { prefer: 'return=OperationOutcome, handling=strict' },
        { prefer: 'respond-async' },
        { accept: 'text/html' },
        { accept: 'application/fhir+json;q=0.1, application/fhir+xml' },
        { 'x-request-id': 'fuzz' },
      ];
      const failures: string[] = [];
      for (let i = 0; i < 200; i++) {
        const method = pick(methods);
        const depth = Math.floor(random() * 4);
        const path = Array.from({ length: depth }, () => pick(segments)).join('/');
        const query = Array.from({ length: Math.floor(random() * 3) }, () => pick(queries))
          .filter(Boolean)
          .join('&');
        const canHaveBody = method !== 'GET' && method !== 'HEAD';
        const body = canHaveBody ? pick(bodies) : undefined;
        const contentType = pick(contentTypes);
        const headers: Record<string, string> = { ...pick(extraHeaders) };
        if (contentType) headers['content-type'] = contentType;
        const url = `${path}${query ? `?${query}` : ''}`;
        const res = await suite.call(url, { method, headers, ...(body !== undefined ? { body } : {}) });
        const label = `#${i} ${method} ${url} ${JSON.stringify(headers)} ${String(body).slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`;
        if (res.status >= 500) failures.push(label);
        else if (res.status >= 400 && method !== 'HEAD' && res.body?.resourceType !== 'OperationOutcome')
          failures.push(`not an OperationOutcome: ${label}`);
      }
      expect(failures).toEqual([]);
      expect((await suite.call('metadata')).status).toBe(200);
    });
  });
}
