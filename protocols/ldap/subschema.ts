/**
 * `cn=subschema` (RFC 4512 §4.2): the attribute types and object classes the entries use, in
 * RFC 4512 description syntax. Standard OIDs where the attribute is standard (RFC 4519, 4524,
 * 2307, 2798, 4530); dirgate's own attributes sit under a 2.25 (UUID-derived) arc.
 */
import type { EntryAttribute } from './responses.js';

const DS = '1.3.6.1.4.1.1466.115.121.1';
const DIRGATE_ARC = '2.25.190431573436236407357950214930727185121';

const ATTRIBUTE_TYPES = [
  `( 2.5.4.0 NAME 'objectClass' EQUALITY objectIdentifierMatch SYNTAX ${DS}.38 )`,
  `( 2.5.4.41 NAME 'name' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX ${DS}.15{32768} )`,
  `( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )`,
  `( 2.5.4.4 NAME ( 'sn' 'surname' ) SUP name )`,
  `( 2.5.4.42 NAME 'givenName' SUP name )`,
  `( 2.5.4.11 NAME ( 'ou' 'organizationalUnitName' ) SUP name )`,
  `( 2.5.4.10 NAME ( 'o' 'organizationName' ) SUP name )`,
  `( 0.9.2342.19200300.100.1.25 NAME ( 'dc' 'domainComponent' ) EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch SYNTAX ${DS}.26 SINGLE-VALUE )`,
  `( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX ${DS}.15{256} )`,
  `( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch SYNTAX ${DS}.26{256} )`,
  `( 2.16.840.1.113730.3.1.241 NAME 'displayName' DESC 'the name' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX ${DS}.15 SINGLE-VALUE )`,
  `( 2.5.4.35 NAME 'userPassword' DESC 'write-only: a clear-text value is hashed under the password policy' EQUALITY octetStringMatch SYNTAX ${DS}.40{128} )`,
  `( 2.5.4.49 NAME 'distinguishedName' EQUALITY distinguishedNameMatch SYNTAX ${DS}.12 )`,
  `( 2.5.4.31 NAME 'member' SUP distinguishedName )`,
  `( 2.5.4.50 NAME 'uniqueMember' EQUALITY uniqueMemberMatch SYNTAX ${DS}.34 )`,
  `( 1.2.840.113556.1.2.102 NAME 'memberOf' DESC 'direct groups of a user, parent groups of a group' EQUALITY distinguishedNameMatch SYNTAX ${DS}.12 NO-USER-MODIFICATION )`,
  `( 1.3.6.1.1.1.1.0 NAME 'uidNumber' DESC 'assigned by dirgate' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX ${DS}.27 SINGLE-VALUE NO-USER-MODIFICATION )`,
  `( 1.3.6.1.1.1.1.1 NAME 'gidNumber' DESC 'assigned by dirgate' EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX ${DS}.27 SINGLE-VALUE NO-USER-MODIFICATION )`,
  `( 1.3.6.1.1.1.1.3 NAME 'homeDirectory' DESC 'assigned by dirgate' EQUALITY caseExactIA5Match SYNTAX ${DS}.26 SINGLE-VALUE NO-USER-MODIFICATION )`,
  `( 1.3.6.1.1.1.1.12 NAME 'memberUid' EQUALITY caseExactIA5Match SUBSTR caseExactIA5SubstringsMatch SYNTAX ${DS}.26 )`,
  `( ${DIRGATE_ARC}.1.1 NAME 'dirgateActive' DESC 'whether the user may log in; FALSE deactivates' EQUALITY booleanMatch SYNTAX ${DS}.7 SINGLE-VALUE )`,
  `( ${DIRGATE_ARC}.1.2 NAME 'dirgateSuperuser' DESC 'member of a superuser group, or a superuser group' EQUALITY booleanMatch SYNTAX ${DS}.7 SINGLE-VALUE NO-USER-MODIFICATION )`,
  `( 1.3.6.1.1.16.4 NAME 'entryUUID' EQUALITY UUIDMatch ORDERING UUIDOrderingMatch SYNTAX 1.3.6.1.1.16.1 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )`,
  `( 2.5.18.1 NAME 'createTimestamp' EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch SYNTAX ${DS}.24 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )`,
  `( 2.5.18.2 NAME 'modifyTimestamp' EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch SYNTAX ${DS}.24 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )`,
  `( 1.3.6.1.1.20 NAME 'entryDN' EQUALITY distinguishedNameMatch SYNTAX ${DS}.12 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )`,
  `( 2.5.18.10 NAME 'subschemaSubentry' EQUALITY distinguishedNameMatch SYNTAX ${DS}.12 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )`,
  `( 2.5.18.9 NAME 'hasSubordinates' EQUALITY booleanMatch SYNTAX ${DS}.7 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )`,
  `( 2.5.21.9 NAME 'structuralObjectClass' EQUALITY objectIdentifierMatch SYNTAX ${DS}.38 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )`,
  `( 2.5.21.5 NAME 'attributeTypes' EQUALITY objectIdentifierFirstComponentMatch SYNTAX ${DS}.3 USAGE directoryOperation )`,
  `( 2.5.21.6 NAME 'objectClasses' EQUALITY objectIdentifierFirstComponentMatch SYNTAX ${DS}.37 USAGE directoryOperation )`,
];

const OBJECT_CLASSES = [
  `( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )`,
  `( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY userPassword )`,
  `( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL MAY ou )`,
  `( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY ( displayName $ givenName $ mail $ uid ) )`,
  `( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY MUST ( cn $ uid $ uidNumber $ gidNumber $ homeDirectory ) MAY userPassword )`,
  `( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST cn MAY ( member $ ou ) )`,
  `( 2.5.6.17 NAME 'groupOfUniqueNames' SUP top STRUCTURAL MUST cn MAY ( uniqueMember $ ou ) )`,
  `( 1.3.6.1.1.1.2.2 NAME 'posixGroup' SUP top AUXILIARY MUST ( cn $ gidNumber ) MAY memberUid )`,
  `( 2.5.6.5 NAME 'organizationalUnit' DESC 'fixed entries only: not accepted in an Add' SUP top STRUCTURAL MUST ou )`,
  `( 0.9.2342.19200300.100.4.13 NAME 'domain' DESC 'fixed entries only: not accepted in an Add' SUP top STRUCTURAL MUST dc )`,
  `( 2.5.6.4 NAME 'organization' DESC 'fixed entries only: not accepted in an Add' SUP top STRUCTURAL MUST o )`,
  `( 1.3.6.1.4.1.1466.101.120.111 NAME 'extensibleObject' SUP top AUXILIARY )`,
  `( 2.5.20.1 NAME 'subschema' AUXILIARY MAY ( attributeTypes $ objectClasses ) )`,
  `( 2.5.17.0 NAME 'subentry' DESC 'fixed entries only: not accepted in an Add' SUP top STRUCTURAL MUST cn )`,
  `( ${DIRGATE_ARC}.2.1 NAME 'dirgateObject' SUP top AUXILIARY MAY ( dirgateActive $ dirgateSuperuser $ memberOf ) )`,
];

/** Every attribute type as a client may not write it (DIRGATE_LDAP_READ_ONLY). */
const READ_ONLY_TYPES = ATTRIBUTE_TYPES.map((t) => (t.includes('NO-USER-MODIFICATION') ? t : t.replace(/ \)$/, ' NO-USER-MODIFICATION )')));

/**
 * All attributes of `cn=subschema`. What is writable is what lacks NO-USER-MODIFICATION; with
 * `readOnly` (DIRGATE_LDAP_READ_ONLY) nothing is.
 */
export function subschemaEntry(readOnly = false): EntryAttribute[] {
  return [
    ['objectClass', ['top', 'subentry', 'subschema']],
    ['cn', ['subschema']],
    ['attributeTypes', readOnly ? READ_ONLY_TYPES : ATTRIBUTE_TYPES],
    ['objectClasses', OBJECT_CLASSES],
    ['entryDN', ['cn=subschema']],
  ];
}
