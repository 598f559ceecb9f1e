/**
 * Grants ACLs on the secured test broker, as an operator's tool would, through kafkajs' admin client
 * connected as the super user. The product itself never manages ACLs; this is test set-up only.
 */
import kafkajs from 'kafkajs';
import type { RequiredAcl } from '../../src/runtime/worker/required-acls.ts';
import { eventually } from './eventually.ts';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel } =
  kafkajs;

const RESOURCE = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
  cluster: AclResourceTypes.CLUSTER,
} as const;

export interface AdminLogin {
  readonly bootstrap: string;
  readonly ca: string;
  readonly username: string;
  readonly password: string;
}

/** Creates the ACLs for `principal` (e.g. `User:alice`) and waits until the broker shows them all. */
export async function grantAcls(
  login: AdminLogin,
  principal: string,
  acls: readonly RequiredAcl[],
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'test-acls',
    brokers: [login.bootstrap],
    ssl: { ca: login.ca },
    sasl: { mechanism: 'scram-sha-512', username: login.username, password: login.password },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const entries = acls.flatMap((acl) =>
      acl.operations.map((operation) => ({
        resourceType: RESOURCE[acl.resourceType],
        resourceName: acl.resourceType === 'cluster' ? 'kafka-cluster' : acl.name,
        resourcePatternType:
          acl.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
        principal,
        host: '*',
        operation: AclOperationTypes[operation],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    );
    if (entries.length === 0) return;
    await admin.createAcls({ acl: entries });
    // ACLs reach the authorizer through the metadata log: wait until every one is visible.
    await eventually(async () => {
      const { resources } = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      const key = (type: number, name: string, pattern: number, operation: number) =>
        `${type}/${name}/${pattern}/${operation}`;
      const seen = new Set(
        resources.flatMap((r) =>
          r.acls.map((a) => key(r.resourceType, r.resourceName, r.resourcePatternType, a.operation)),
        ),
      );
      const missing = entries.filter(
        (e) => !seen.has(key(e.resourceType, e.resourceName, e.resourcePatternType, e.operation)),
      );
      if (missing.length > 0) throw new Error(`${missing.length} ACLs of ${principal} not visible yet`);
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Denies clients without credentials (principal User:ANONYMOUS, what a PLAINTEXT listener gives)
 * writing to `topic`, on a broker that runs an authorizer with allow.everyone.if.no.acl.found=true:
 * an authorization failure a test can provoke while everything else stays allowed. With an ACL on the
 * topic that setting no longer applies to it, so everything else on it is allowed explicitly; the
 * DENY on WRITE wins over that.
 */
export async function denyWrite(brokers: string, topic: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'test-acls', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const entry = (operation: number, permissionType: number) => ({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:ANONYMOUS',
      host: '*',
      operation,
      permissionType,
    });
    await admin.createAcls({
      acl: [
        entry(AclOperationTypes.ALL, AclPermissionTypes.ALLOW),
        entry(AclOperationTypes.WRITE, AclPermissionTypes.DENY),
      ],
    });
    // ACLs reach the authorizer through the metadata log: wait until the DENY is visible.
    await eventually(async () => {
      const { resources } = await admin.describeAcls({
        resourceType: AclResourceTypes.TOPIC,
        resourceName: topic,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        operation: AclOperationTypes.WRITE,
        permissionType: AclPermissionTypes.DENY,
      });
      if (resources.length === 0) throw new Error(`the ACL denying writes to ${topic} is not visible yet`);
    });
  } finally {
    await admin.disconnect();
  }
}
