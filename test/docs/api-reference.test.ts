/**
 * The API reference in docs/api is generated from the sources' doc comments by TypeDoc (`npm run
 * docs`, configured in typedoc.json) and checked in. This test generates it again and fails when the
 * checked-in copy is stale, and checks that every public method of the DSL, the serdes, the stores and
 * the test driver has a description and an example.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Application,
  ReflectionKind,
  type DeclarationReflection,
  type ProjectReflection,
  type SignatureReflection,
} from 'typedoc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const checkedIn = join(root, 'docs/api');

/** The public API whose every method needs a description and an example. */
const documentedClasses = [
  'StreamsBuilder',
  'KStream',
  'KTable',
  'GlobalKTable',
  'KGroupedStream',
  'TimeWindowedKStream',
  'SessionWindowedKStream',
  'KGroupedTable',
  'BranchedKStream',
  'CogroupedKStream',
  'TimeWindowedCogroupedKStream',
  'SessionWindowedCogroupedKStream',
  'EmitStrategy',
  'TimeWindows',
  'SlidingWindows',
  'SessionWindows',
  'JoinWindows',
  'Suppressed',
  'AvroSchemas',
  'TopologyTestDriver',
  'TestInputTopic',
  'TestOutputTopic',
];
const documentedObjects = ['Serdes', 'Stores'];
const documentedFunctions = ['defineTopic', 'defineApp'];

let out: string;
let project: ProjectReflection;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'tributary-api-'));
  const app = await Application.bootstrapWithPlugins({
    options: join(root, 'typedoc.json'),
    out,
    logLevel: 'Error',
  });
  const converted = await app.convert();
  if (!converted) throw new Error('TypeDoc could not convert the sources');
  project = converted;
  await app.generateOutputs(project);
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

function files(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** What a signature's comment lacks: its description, its example. */
function missing(signature: SignatureReflection | DeclarationReflection): string[] {
  const comment = signature.comment;
  const gaps: string[] = [];
  if (
    !comment ||
    comment.summary
      .map((p) => p.text)
      .join('')
      .trim().length === 0
  )
    gaps.push('description');
  if (!comment?.blockTags.some((tag) => tag.tag === '@example')) gaps.push('example');
  return gaps;
}

function find(name: string, kind: ReflectionKind): DeclarationReflection {
  const found = project
    .getReflectionsByKind(kind)
    .filter(
      (r): r is DeclarationReflection => r.name === name && r.parent?.kindOf(ReflectionKind.Module) === true,
    );
  expect(found, `${name} in the reference`).toHaveLength(1);
  return found[0]!;
}

describe('the API reference', () => {
  it('is generated from the current sources (run `npm run docs` when this fails)', () => {
    const generated = files(out)
      .map((f) => relative(out, f))
      .sort();
    expect(
      files(checkedIn)
        .map((f) => relative(checkedIn, f))
        .sort(),
    ).toEqual(generated);
    for (const file of generated)
      expect(readFileSync(join(checkedIn, file), 'utf8'), `docs/api/${file} is stale: run npm run docs`).toBe(
        readFileSync(join(out, file), 'utf8'),
      );
  });

  it('gives every public method of the DSL, serdes, stores and test driver a description and an example', () => {
    const gaps: string[] = [];
    for (const name of documentedClasses) {
      const cls = find(name, ReflectionKind.Class);
      if (missing(cls).length > 0) gaps.push(`${name}: ${missing(cls).join(', ')}`);
      const members = (cls.children ?? []).filter(
        (m) =>
          m.kindOf(ReflectionKind.Method | ReflectionKind.Accessor | ReflectionKind.Constructor) &&
          !m.flags.isPrivate &&
          !m.flags.isProtected,
      );
      for (const member of members) {
        const signatures = member.kindOf(ReflectionKind.Accessor)
          ? [member.getSignature!]
          : (member.signatures ?? []);
        signatures.forEach((signature, i) => {
          const lacking = missing(signature);
          const which = signatures.length > 1 ? ` (overload ${i + 1})` : '';
          if (lacking.length > 0) gaps.push(`${name}.${member.name}${which}: ${lacking.join(', ')}`);
        });
      }
    }
    for (const name of documentedObjects) {
      const object = find(name, ReflectionKind.Variable);
      if (missing(object).length > 0) gaps.push(`${name}: ${missing(object).join(', ')}`);
      const members = object.type?.type === 'reflection' ? (object.type.declaration.children ?? []) : [];
      expect(members.length, `${name}'s members`).toBeGreaterThan(3);
      for (const member of members) {
        const lacking = missing(member.comment ? member : (member.signatures?.[0] ?? member));
        if (lacking.length > 0) gaps.push(`${name}.${member.name}: ${lacking.join(', ')}`);
      }
    }
    for (const name of documentedFunctions) {
      const fn = find(name, ReflectionKind.Function);
      const lacking = missing(fn.signatures![0]!);
      if (lacking.length > 0) gaps.push(`${name}: ${lacking.join(', ')}`);
    }
    expect(gaps).toEqual([]);
  });

  it('covers the DSL methods a Kafka Streams user looks for', () => {
    const kstream = find('KStream', ReflectionKind.Class);
    const methods = (kstream.children ?? []).map((m) => m.name);
    for (const name of [
      'filter',
      'mapValues',
      'flatMap',
      'selectKey',
      'split',
      'groupBy',
      'join',
      'leftJoin',
      'process',
    ])
      expect(methods).toContain(name);
    // Internals stay out of the reference.
    expect(methods).not.toContain('repartitionForJoin');
    expect(methods).not.toContain('derived');
  });
});
