/**
 * Discovery (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and Schemas. Everything here is
 * derived from schemas.ts and the configuration, so it advertises exactly what the door does.
 */
import type { Config } from '../../src/config.js';
import { notFound } from './errors.js';
import {
  GROUP_TYPE, LIST_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SCHEMAS, SPC_SCHEMA, USER_TYPE, schemaById,
  type ResourceTypeDef, type SchemaDef,
} from './schemas.js';

type Json = Record<string, unknown>;

/** `GET /ServiceProviderConfig` (RFC 7643 §5). */
export function serviceProviderConfig(config: Config, base: string): Json {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: true, maxOperations: config.scim.bulkMaxOperations, maxPayloadSize: config.scim.bulkMaxPayload },
    filter: { supported: true, maxResults: config.scim.maxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [{
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description: 'Authorization: Bearer <dirgate API token> of a user holding scim.provision',
      specUri: 'https://www.rfc-editor.org/info/rfc6750',
      primary: true,
    }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

function resourceTypeJson(t: ResourceTypeDef, base: string): Json {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: t.id,
    name: t.id,
    endpoint: t.endpoint,
    description: t.id === 'User' ? 'User Account' : 'Group',
    schema: t.schema,
    schemaExtensions: t.extensions.map((schema) => ({ schema, required: false })),
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${t.id}` },
  };
}

function schemaJson(s: SchemaDef, base: string): Json {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` },
  };
}

function list(resources: Json[]): Json {
  return { schemas: [LIST_SCHEMA], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}

export function resourceTypes(base: string): Json {
  return list([USER_TYPE, GROUP_TYPE].map((t) => resourceTypeJson(t, base)));
}

/** @throws ScimError 404 for an unknown resource type. */
export function resourceType(name: string, base: string): Json {
  const t = [USER_TYPE, GROUP_TYPE].find((r) => r.id.toLowerCase() === name.toLowerCase());
  if (!t) throw notFound(`no resource type ${name}`);
  return resourceTypeJson(t, base);
}

export function schemas(base: string): Json {
  return list(SCHEMAS.map((s) => schemaJson(s, base)));
}

/** @throws ScimError 404 for an unknown schema URN. */
export function schema(id: string, base: string): Json {
  const s = schemaById(id);
  if (!s) throw notFound(`no schema ${id}`);
  return schemaJson(s, base);
}
