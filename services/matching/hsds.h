/* hsds: the resource library in and out of Open Referral HSDS 3.0 JSON
 * (jansson) and CSV. Plain functions: no store, no sockets. Records made
 * here are NOT validated: the caller runs match_validate_org /
 * match_validate_volunteer on each. */
#ifndef HSDS_H
#define HSDS_H

#include <stddef.h>
#include <stdint.h>

#include "hub_wire.h"
#include "matching.pb-c.h"

#define HSDS_MAX_RECORDS 20000   /* per import */

/* Parsed records: arrays and every string allocated from the arena. */
typedef struct {
    Matching__Organization **orgs;
    size_t n_orgs;
    Matching__Volunteer **volunteers;
    size_t n_volunteers;
} hsds_batch_t;

/* Parses an import.
 *  format "hsds": a JSON array of HSDS organization objects, or an object
 *    {"organizations": [...], "volunteers": [...]}. An organization maps:
 *    id (x_hub_id wins when present), name, description, email,
 *    website -> url, the first locations[].addresses[].address_1 ->
 *    address, legal_status -> legal_form (the Chinese names 社会团体 / 民办非企业单位 / 社会服务机构 /
 *    基金会 / 社区社会组织, or the enum names SOCIAL_GROUP...),
 *    year_incorporated (a whole number; 1900..2100 is the validator's) ->
 *    year_incorporated,
 *    organization_identifiers[] {identifier_scheme "CN-USCC" or
 *    identifier_type "统一社会信用代码", identifier} -> credit_code,
 *    contacts[] {name, title, email, phones[0].number},
 *    services[] {x_service_code or else id -> service code, name, languages[].code,
 *    service_areas[].name -> areas, schedules[] (byday MO..SU with
 *    opens_at/closes_at "HH:MM"), cost_options[] (none or amount 0 -> FREE,
 *    else LOW_COST and fee = "amount currency"), minimum_age, maximum_age,
 *    eligibility_description (comma-separated groups), capacities[]
 *    {available, maximum, updated}}; the services' codes, areas, languages
 *    and hours are merged into the one organization. Extensions without
 *    an HSDS home use "x-" keys: x_membership ("APPROVED"...), x_street,
 *    x_last_verified (also accepted: last_modified's date part).
 *    A volunteer object: id, name, phone, email, organization_id,
 *    skills[] {service, certification, licence_no}, areas[],
 *    availability[] {weekday 1..7, opens "HH:MM", closes "HH:MM"},
 *    languages[], max_open_cases, membership.
 *  format "csv" (RFC 4180: quoted fields, doubled quotes, CRLF or LF; a
 *    header line names the columns, in any order; unknown columns are an
 *    error): kind "org" columns id,name,credit_code,legal_form,services,
 *    areas,languages,cost,fee,min_age,max_age,groups,capacity_available,
 *    capacity_maximum,contact_name,contact_phone,email,url,membership,
 *    last_verified,street,address,description,hours,year_incorporated;
 *    kind "volunteer" columns id,name,phone,email,organization_id,skills,
 *    areas,languages,max_open_cases,membership,availability. List cells
 *    are separated by ";" (skills as "service:certification:licence_no"; hours and
 *    availability as "1-5 09:00-17:00" items, weekday ranges allowed).
 * 0, or -1 with err INVALID_ARGUMENT and a field path naming the record
 * ("orgs[3].legal_form", "line 7: capacity_maximum"). More than
 * HSDS_MAX_RECORDS records is RESOURCE_EXHAUSTED. */
int hsds_parse(const char *format, const char *kind, const uint8_t *data, size_t len,
               hub_arena_t *arena, hsds_batch_t *out, hub_error_t *err);

/* Appends org as one HSDS 3.0 organization object (valid against
 * schemas/hsds-3.0/compiled/organization.json: required id, name,
 * description; every id a UUID, version 5 of a name derived from the org
 * id, e.g. "<org id>-svc-<code>"; the hub's id in x_hub_id, each service's
 * code in x_service_code; year_incorporated an integer, left out when 0)
 * to the JSON array text in *buf (malloc'd, grown as needed; *len its
 * length, *cap its size). The first call must have *buf == NULL.
 * Volunteers are not HSDS objects and are not exported.
 * 0, or -1 on out-of-memory. */
int hsds_export_org(const Matching__Organization *org, char **buf, size_t *len, size_t *cap);
/* Closes the array begun by hsds_export_org (or writes "[]"). 0 or -1. */
int hsds_export_end(char **buf, size_t *len, size_t *cap);

#endif
