/* hubctl: the operator's command-line tool (like knotc or redis-cli).
 *   hubctl [-c CONFIG] [--json] [--timeout MS] <noun> [verb] [args]
 * Reads the endpoints from the same INI configuration as the daemons.
 * This file: main, the global options, intake's commands, status, tail
 * and keys; each other daemon's commands are in hubctl_<daemon>.c.
 * Exit codes: 0 ok, 1 refused by the daemon, 2 usage, 3 cannot reach. */
#include <getopt.h>
#include <ini.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl.h"
#include "hub_auth.h"
#include "hub_client.h"
#include "hub_config.h"
#include "hub_json.h"
#include "hub_sub.h"
#include "hub_util.h"
#include "intake.pb-c.h"
#include "table.h"
#include "version.h"

/* Every daemon hubctl knows, in the order "status" shows them. */
const char *const ctl_known_daemons[CTL_N_KNOWN] = {"intake", "matching", "notification", "tendering", "reporting"};

int ctl_usage(void)
{
    fprintf(stderr,
        "Usage: hubctl [-c CONFIG] [--json] [--timeout MS] COMMAND ...\n"
        "Commands (hub-intake):\n"
        "  services [CODE]                   the service catalogue, or one definition\n"
        "  submit --service CODE --street S --description TEXT --name NAME\n"
        "         [--phone P] [--email E] [--kind resident|organization|enterprise]\n"
        "         [--attr CODE=V[,V...]]... [--urgency low|normal|high|emergency]\n"
        "         [--contact phone|sms|email|wechat|none] [--consent] [--address A]\n"
        "         [--language zh|en] [--channel ID] [--message-id ID]\n"
        "  request show ID                   status and history of a request\n"
        "  request note ID TEXT              add a note\n"
        "  request cancel ID [REASON]        cancel (for its channel)\n"
        "  request duplicate ID OTHER_ID     operator: mark as duplicate of OTHER_ID\n"
        "  request close ID REASON           operator: close with a reason\n"
        "  request reopen ID [REASON]        operator: reopen\n"
        "  requests [--status S] [--street X] [--service CODE] [--channel ID]\n"
        "           [--limit N] [--after ID]\n"
        "  opinion submit --topic T --text X [--street S] [--name N] [--phone P]\n"
        "                 [--anonymous] [--policy-topic CODE] [--channel ID] [--message-id ID]\n"
        "  opinion link ID [--topic CODE] [--activity ACTIVITY-ID]\n"
        "                                    operator: count an opinion under a policy topic\n"
        "                                    (services lists the codes) and/or link it to a\n"
        "                                    consultation meeting or hearing\n"
        "  opinions [--topic T] [--limit N] [--after ID]\n"
        "%s"
        "%s"
        "%s"
        "%s"
        "%s"
        "%s"
        "Every daemon:\n"
        "  tail [TOPIC-PREFIX] [--daemon NAME] [--from SEQ] [--count N] [--wait MS]\n"
        "                                    events as JSON lines (from SEQ, else new ones)\n"
        "                                    of NAME (intake, matching, notification,\n"
        "                                    tendering; default intake)\n"
        "  status                            each configured daemon's status and counters\n"
        "  keys gen NAME                     write a CURVE key pair NAME.pub / NAME.key\n"
        "%s"
        "  principal add ID ROLE --key Z85|--key-file F.pub [--file P] [--wait MS]\n"
        "  principal revoke ID [--file P] [--wait MS] | principal list [--file P]\n"
        "                                    edit the principals files; waits until each running\n"
        "                                    daemon has the change in effect (no restart)\n"
        "Exit codes: 0 ok, 1 refused, 2 usage, 3 daemon not reachable.\n",
        ctl_activity_usage, ctl_matching_usage, ctl_notification_usage, ctl_tendering_usage, ctl_reporting_usage,
        ctl_privacy_usage, ctl_backup_usage);
    return EXIT_USAGE;
}

/* ---- commands ---- */

static int cmd_services(ctl_t *c, int argc, char **argv)
{
    ProtobufCMessage *rep;
    int rc;
    if (argc > 1) {
        Intake__GetServiceRequest req = INTAKE__GET_SERVICE_REQUEST__INIT;
        req.service_code = argv[1];
        if ((rc = ctl_call(c, "intake", "intake.service", &req.base, &intake__get_service_reply__descriptor, &rep))) return rc;
        Intake__Service *s = ((Intake__GetServiceReply *)rep)->service;
        if (c->json || !s) { ctl_print_json(rep); return 0; }
        printf("%s  %s (%s)\n%s\n\n", s->service_code, s->service_name, s->service_name_en, s->description);
        table_t *t = table_new(5, "ATTRIBUTE", "DATATYPE", "REQUIRED", "VALUES", "DESCRIPTION");
        for (size_t i = 0; i < s->n_attributes; i++) {
            Intake__Attribute *a = s->attributes[i];
            char vals[512] = "";
            for (size_t v = 0; v < a->n_values; v++)
                snprintf(vals + strlen(vals), sizeof vals - strlen(vals), "%s%s=%s", v ? " " : "",
                         a->values[v]->key, a->values[v]->name);
            table_row(t, a->code, a->datatype, a->required ? "yes" : "no", vals, a->description);
        }
        table_print(t, stdout);
        return 0;
    }
    Intake__ListServicesRequest req = INTAKE__LIST_SERVICES_REQUEST__INIT;
    if ((rc = ctl_call(c, "intake", "intake.services", &req.base, &intake__list_services_reply__descriptor, &rep))) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Intake__ListServicesReply *l = (Intake__ListServicesReply *)rep;
    table_t *t = table_new(4, "CODE", "NAME", "NAME (EN)", "GROUP");
    for (size_t i = 0; i < l->n_services; i++)
        table_row(t, l->services[i]->service_code, l->services[i]->service_name,
                  l->services[i]->service_name_en, l->services[i]->group);
    table_print(t, stdout);
    printf("\nareas:");
    for (size_t i = 0; i < l->n_areas; i++) printf(" %s", l->areas[i]);
    printf("\n");
    if (l->n_policy_topics) {
        printf("\n");
        table_t *p = table_new(3, "POLICY TOPIC", "NAME", "NAME (EN)");
        for (size_t i = 0; i < l->n_policy_topics; i++)
            table_row(p, l->policy_topics[i]->code, l->policy_topics[i]->name, l->policy_topics[i]->name_en);
        table_print(p, stdout);
    }
    return 0;
}

/* Parses --opt VALUE pairs into a JSON object by a table of (option, path). */
static int cmd_submit(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"service", 1, 0, 's'}, {"street", 1, 0, 't'}, {"description", 1, 0, 'd'},
        {"name", 1, 0, 'n'}, {"phone", 1, 0, 'p'}, {"email", 1, 0, 'e'}, {"kind", 1, 0, 'k'},
        {"attr", 1, 0, 'a'}, {"urgency", 1, 0, 'u'}, {"contact", 1, 0, 'C'}, {"consent", 0, 0, 'O'},
        {"address", 1, 0, 'A'}, {"language", 1, 0, 'L'}, {"channel", 1, 0, 'h'},
        {"message-id", 1, 0, 'm'}, {0, 0, 0, 0}};
    json_t *r = json_object(), *person = json_object(), *attrs = json_array();
    char mid[64];
    ctl_message_id(mid, sizeof mid);
    json_object_set_new(r, "channel", json_string("hubctl"));
    json_object_set_new(r, "message_id", json_string(mid));
    json_object_set_new(person, "kind", json_string("RESIDENT"));
    int o;
    optind = 0; /* 0 re-initializes GNU getopt (main parsed with "+") */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': json_object_set_new(r, "service_code", json_string(optarg)); break;
        case 't': json_object_set_new(r, "street", json_string(optarg)); break;
        case 'd': json_object_set_new(r, "description", json_string(optarg)); break;
        case 'A': json_object_set_new(r, "address", json_string(optarg)); break;
        case 'L': json_object_set_new(r, "language", json_string(optarg)); break;
        case 'h': json_object_set_new(r, "channel", json_string(optarg)); break;
        case 'm': json_object_set_new(r, "message_id", json_string(optarg)); break;
        case 'u': json_object_set_new(r, "urgency", json_string(ctl_upper(optarg))); break;
        case 'C': json_object_set_new(r, "preferred_contact", json_string(ctl_upper(optarg))); break;
        case 'O': json_object_set_new(r, "consent_to_contact", json_true()); break;
        case 'n': json_object_set_new(person, "name", json_string(optarg)); break;
        case 'p': json_object_set_new(person, "phone", json_string(optarg)); break;
        case 'e': json_object_set_new(person, "email", json_string(optarg)); break;
        case 'k': json_object_set_new(person, "kind", json_string(ctl_upper(optarg))); break;
        case 'a': {
            char *eq = strchr(optarg, '=');
            if (!eq) { fprintf(stderr, "hubctl: --attr wants CODE=VALUE[,VALUE]\n"); return EXIT_USAGE; }
            *eq = 0;
            json_t *vals = json_array();
            for (char *save, *v = strtok_r(eq + 1, ",", &save); v; v = strtok_r(NULL, ",", &save))
                json_array_append_new(vals, json_string(v));
            json_array_append_new(attrs, json_pack("{s:s,s:o}", "code", optarg, "values", vals));
            break;
        }
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    json_object_set_new(r, "requester", person);
    json_object_set_new(r, "attributes", attrs);
    json_t *root = json_pack("{s:o}", "request", r);
    hub_error_t err = {0};
    ProtobufCMessage *req = hub_json_to_pb(&intake__submit_request__descriptor, root, c->arena, &err);
    json_decref(root);
    if (!req) { fprintf(stderr, "hubctl: %s\n", err.message); return EXIT_USAGE; }
    ProtobufCMessage *rep;
    int rc = ctl_call(c, "intake", "intake.submit", req, &intake__submit_reply__descriptor, &rep);
    if (rc) return rc;
    Intake__SubmitReply *sr = (Intake__SubmitReply *)rep;
    if (c->json) ctl_print_json(rep);
    else printf("%s %s%s\n", sr->service_request_id, ctl_enum(&intake__status__descriptor, sr->status),
                sr->duplicate_submission ? " (already submitted)" : "");
    return 0;
}

static void s_print_request(const Intake__Request *r)
{
    printf("request      %s\n", r->service_request_id);
    printf("status       %s%s%s\n", ctl_enum(&intake__status__descriptor, r->status),
           *r->duplicate_of ? " of " : "", r->duplicate_of);
    printf("service      %s\n", r->service_code);
    for (size_t i = 0; i < r->n_attributes; i++) {
        printf("  %-10s ", r->attributes[i]->code);
        for (size_t v = 0; v < r->attributes[i]->n_values; v++) printf("%s%s", v ? "," : "", r->attributes[i]->values[v]);
        printf("\n");
    }
    printf("street       %s %s\n", r->street, r->address);
    printf("urgency      %s\n", ctl_enum(&intake__urgency__descriptor, r->urgency));
    if (r->requester)
        printf("requester    %s %s %s (%s)\n", r->requester->name, r->requester->phone, r->requester->email,
               ctl_enum(&intake__requester_kind__descriptor, r->requester->kind));
    if (r->person_helped) printf("helped       %s\n", r->person_helped->name);
    printf("contact      %s, consent %s, language %s\n", ctl_enum(&intake__contact_method__descriptor, r->preferred_contact),
           r->consent_to_contact ? "yes" : "no", r->language);
    printf("channel      %s (message %s)\n", r->channel, r->message_id);
    printf("description  %s\n\n", r->description);
    table_t *t = table_new(5, "TIME (CST)", "ACTION", "STATUS", "BY", "TEXT");
    for (size_t i = 0; i < r->n_history; i++) {
        Intake__HistoryEntry *h = r->history[i];
        table_row(t, ctl_time(h->time_ms), h->action, ctl_enum(&intake__status__descriptor, h->status), h->by, h->text);
    }
    table_print(t, stdout);
}

static int cmd_request(ctl_t *c, int argc, char **argv)
{
    if (argc < 3) return ctl_usage();
    const char *verb = argv[1], *id = argv[2];
    ProtobufCMessage *rep;
    int rc;
    if (!strcmp(verb, "show")) {
        Intake__GetRequestRequest req = INTAKE__GET_REQUEST_REQUEST__INIT;
        req.service_request_id = (char *)id;
        if ((rc = ctl_call(c, "intake", "intake.get", &req.base, &intake__get_request_reply__descriptor, &rep))) return rc;
        if (c->json) ctl_print_json(rep);
        else s_print_request(((Intake__GetRequestReply *)rep)->request);
        return 0;
    }
    Intake__UpdateRequest req = INTAKE__UPDATE_REQUEST__INIT;
    req.service_request_id = (char *)id;
    req.action = (char *)verb;
    req.by = (char *)ctl_by();
    char mid[64];
    ctl_message_id(mid, sizeof mid);
    req.message_id = mid;
    if (!strcmp(verb, "duplicate")) {
        if (argc != 4) return ctl_usage();
        req.duplicate_of = argv[3];
    } else if (!strcmp(verb, "note") || !strcmp(verb, "close")) {
        if (argc != 4) return ctl_usage();
        req.text = argv[3];
    } else if (!strcmp(verb, "cancel") || !strcmp(verb, "reopen")) {
        if (argc > 4) return ctl_usage();
        if (argc == 4) req.text = argv[3];
    } else {
        return ctl_usage();
    }
    if ((rc = ctl_call(c, "intake", "intake.update", &req.base, &intake__update_reply__descriptor, &rep))) return rc;
    Intake__Request *r = ((Intake__UpdateReply *)rep)->request;
    if (c->json) ctl_print_json(rep);
    else printf("%s %s\n", r->service_request_id, ctl_enum(&intake__status__descriptor, r->status));
    return 0;
}

static int cmd_requests(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"status", 1, 0, 's'}, {"street", 1, 0, 't'}, {"service", 1, 0, 'v'},
        {"channel", 1, 0, 'c'}, {"limit", 1, 0, 'l'}, {"after", 1, 0, 'a'}, {0, 0, 0, 0}};
    Intake__ListRequestsRequest req = INTAKE__LIST_REQUESTS_REQUEST__INIT;
    int o;
    optind = 0; /* 0 re-initializes GNU getopt (main parsed with "+") */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(&intake__status__descriptor, ctl_upper(optarg));
            if (!v) { fprintf(stderr, "hubctl: unknown status %s (open, in_progress, referred, closed, duplicate, cancelled)\n", optarg); return EXIT_USAGE; }
            req.status = v->value;
            break;
        }
        case 't': req.street = optarg; break;
        case 'v': req.service_code = optarg; break;
        case 'c': req.channel = optarg; break;
        case 'l': req.limit = (uint32_t)atoi(optarg); break;
        case 'a': req.after_id = optarg; break;
        default: return ctl_usage();
        }
    }
    ProtobufCMessage *rep;
    int rc = ctl_call(c, "intake", "intake.list", &req.base, &intake__list_requests_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Intake__ListRequestsReply *l = (Intake__ListRequestsReply *)rep;
    table_t *t = table_new(7, "ID", "STATUS", "SERVICE", "STREET", "URGENCY", "CHANNEL", "REQUESTED (CST)");
    for (size_t i = 0; i < l->n_requests; i++) {
        Intake__Request *r = l->requests[i];
        table_row(t, r->service_request_id, ctl_enum(&intake__status__descriptor, r->status), r->service_code,
                  r->street, ctl_enum(&intake__urgency__descriptor, r->urgency), r->channel, ctl_time(r->requested_ms));
    }
    table_print(t, stdout);
    if (*l->next_after_id) printf("more: hubctl requests --after %s\n", l->next_after_id);
    return 0;
}

/* "opinion link ID [--topic CODE] [--activity ID]": intake.opinion.link;
 * at least one of the two. Prints "ID topic CODE activity ID" as stored. */
static int s_opinion_link(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"topic", 1, 0, 'T'}, {"activity", 1, 0, 'a'}, {"json", 0, 0, 'j'}, {0, 0, 0, 0}};
    Intake__LinkOpinionRequest req = INTAKE__LINK_OPINION_REQUEST__INIT;
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    for (size_t i = 0; i < n_ops; i++) {
        switch (ops[i].code) {
        case 'T': req.policy_topic = ops[i].arg; break;
        case 'a': req.activity_id = ops[i].arg; break;
        case 'j': c->json = 1; break;
        default: return ctl_usage();
        }
    }
    if (!*req.policy_topic && !*req.activity_id) {
        fprintf(stderr, "hubctl: opinion link needs --topic and/or --activity\n");
        return EXIT_USAGE;
    }
    req.opinion_id = pos[0];
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, "intake", "intake.opinion.link", &req.base, &intake__link_opinion_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    const Intake__Opinion *op = ((Intake__LinkOpinionReply *)rep)->opinion;
    if (!op) { fprintf(stderr, "hubctl: the daemon sent no opinion\n"); return EXIT_REFUSED; }
    printf("%s topic %s activity %s\n", op->opinion_id, *op->policy_topic ? op->policy_topic : "-",
           *op->activity_id ? op->activity_id : "-");
    return 0;
}

static int cmd_opinion(ctl_t *c, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "link")) return s_opinion_link(c, argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "submit")) return ctl_usage();
    static const struct option opts[] = {
        {"topic", 1, 0, 'T'}, {"text", 1, 0, 'x'}, {"street", 1, 0, 't'}, {"name", 1, 0, 'n'},
        {"phone", 1, 0, 'p'}, {"anonymous", 0, 0, 'y'}, {"channel", 1, 0, 'h'},
        {"message-id", 1, 0, 'm'}, {"kind", 1, 0, 'k'}, {"policy-topic", 1, 0, 'P'}, {0, 0, 0, 0}};
    Intake__Opinion op = INTAKE__OPINION__INIT;
    Intake__Person author = INTAKE__PERSON__INIT;
    char mid[64];
    ctl_message_id(mid, sizeof mid);
    op.channel = "hubctl";
    op.message_id = mid;
    op.author = &author;
    author.kind = INTAKE__REQUESTER_KIND__RESIDENT;
    int o;
    optind = 0; /* 0 re-initializes GNU getopt; "submit" is skipped as a non-option */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'T': op.topic = optarg; break;
        case 'x': op.text = optarg; break;
        case 't': op.street = optarg; break;
        case 'n': author.name = optarg; break;
        case 'p': author.phone = optarg; break;
        case 'y': op.anonymous = 1; break;
        case 'P': op.policy_topic = optarg; break;
        case 'h': op.channel = optarg; break;
        case 'm': op.message_id = optarg; break;
        case 'k': {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(&intake__requester_kind__descriptor, ctl_upper(optarg));
            if (!v) return ctl_usage();
            author.kind = v->value;
            break;
        }
        default: return ctl_usage();
        }
    }
    Intake__SubmitOpinionRequest req = INTAKE__SUBMIT_OPINION_REQUEST__INIT;
    req.opinion = &op;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, "intake", "intake.opinion.submit", &req.base, &intake__submit_opinion_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) ctl_print_json(rep);
    else printf("%s\n", ((Intake__SubmitOpinionReply *)rep)->opinion_id);
    return 0;
}

static int cmd_opinions(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"topic", 1, 0, 'T'}, {"limit", 1, 0, 'l'}, {"after", 1, 0, 'a'}, {0, 0, 0, 0}};
    Intake__ListOpinionsRequest req = INTAKE__LIST_OPINIONS_REQUEST__INIT;
    int o;
    optind = 0; /* 0 re-initializes GNU getopt (main parsed with "+") */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'T': req.topic = optarg; break;
        case 'l': req.limit = (uint32_t)atoi(optarg); break;
        case 'a': req.after_id = optarg; break;
        default: return ctl_usage();
        }
    }
    ProtobufCMessage *rep;
    int rc = ctl_call(c, "intake", "intake.opinion.list", &req.base, &intake__list_opinions_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Intake__ListOpinionsReply *l = (Intake__ListOpinionsReply *)rep;
    table_t *t = table_new(7, "ID", "TOPIC", "POLICY TOPIC", "ACTIVITY", "STREET", "RECEIVED (CST)", "TEXT");
    for (size_t i = 0; i < l->n_opinions; i++)
        table_row(t, l->opinions[i]->opinion_id, l->opinions[i]->topic, l->opinions[i]->policy_topic,
                  l->opinions[i]->activity_id, l->opinions[i]->street, ctl_time(l->opinions[i]->received_ms),
                  l->opinions[i]->text);
    table_print(t, stdout);
    if (*l->next_after_id) printf("more: hubctl opinions --after %s\n", l->next_after_id);
    return 0;
}

/* The payload type of a topic, or NULL when unknown. */
static const ProtobufCMessageDescriptor *s_payload_type(const char *topic)
{
    if (!strncmp(topic, "intake.request.", 15)) return &intake__request_event__descriptor;
    if (!strncmp(topic, "intake.opinion.", 15)) return &intake__opinion_event__descriptor;
    if (ctl_activity_payload_type(topic)) return ctl_activity_payload_type(topic);
    if (ctl_privacy_payload_type(topic)) return ctl_privacy_payload_type(topic);
    const ProtobufCMessageDescriptor *d = ctl_matching_payload_type(topic);
    if (!d) d = ctl_notification_payload_type(topic);
    return d ? d : ctl_tendering_payload_type(topic);
}

/* Asks daemon for hub.status; *rep is arena-owned. Returns an exit code. */
static int s_status(ctl_t *c, const char *daemon, Hub__StatusReply **rep)
{
    Hub__StatusRequest req = HUB__STATUS_REQUEST__INIT;
    return ctl_call(c, daemon, "hub.status", &req.base, &hub__status_reply__descriptor, (ProtobufCMessage **)rep);
}

static int cmd_tail(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"from", 1, 0, 'f'}, {"count", 1, 0, 'n'}, {"wait", 1, 0, 'w'},
                                         {"daemon", 1, 0, 'd'}, {0, 0, 0, 0}};
    const char *prefix = "", *daemon = "intake";
    long long from = -1, count = -1, wait_ms = -1;
    int o;
    optind = 0; /* 0 re-initializes GNU getopt (main parsed with "+") */
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'f': from = atoll(optarg); break;
        case 'n': count = atoll(optarg); break;
        case 'w': wait_ms = atoll(optarg); break;
        case 'd': daemon = optarg; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) prefix = argv[optind++];
    if (optind < argc) return ctl_usage();
    if (!*ctl_endpoint(c, daemon, "pub") || !*ctl_endpoint(c, daemon, "api")) {
        fprintf(stderr, "hubctl: no daemon \"%s\" with api and pub endpoints in the configuration\n", daemon);
        return EXIT_USAGE;
    }
    hub_curve_t curve;
    if (ctl_curve(c, daemon, &curve)) return EXIT_USAGE;
    uint64_t epoch = 0, last = 0;
    if (from < 0) {
        Hub__StatusReply *st;
        int rc = s_status(c, daemon, &st);
        if (rc) return rc;
        epoch = st->epoch;
        last = st->last_seq;
    } else {
        last = from > 0 ? (uint64_t)from - 1 : 0;
    }
    hub_sub_t *sub = hub_sub_new(c->zctx, ctl_endpoint(c, daemon, "pub"), ctl_endpoint(c, daemon, "api"),
                                 &curve, epoch, last);
    int64_t deadline = wait_ms >= 0 ? hub_mono_ms() + wait_ms : INT64_MAX;
    hub_arena_t *a = hub_arena_new(64u << 20);
    int rc = EXIT_OK;
    while (count != 0) {
        int64_t left = deadline - hub_mono_ms();
        if (left <= 0) break;
        Hub__Event *ev;
        hub_error_t err = {0};
        hub_arena_reset(a);
        int r = hub_sub_next(sub, left > 1000 ? 1000 : (int)left, a, &ev, &err);
        if (r < 0) { fprintf(stderr, "hubctl: %s\n", err.message); rc = EXIT_REFUSED; break; }
        if (r == 0 || strncmp(ev->topic, prefix, strlen(prefix))) continue;
        json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:s}", "topic", ev->topic, "epoch", (json_int_t)ev->epoch,
                              "seq", (json_int_t)ev->seq, "time_ms", (json_int_t)ev->time_ms, "source", ev->source);
        const ProtobufCMessageDescriptor *pd = s_payload_type(ev->topic);
        ProtobufCMessage *p = pd ? protobuf_c_message_unpack(pd, hub_arena_allocator(a), ev->payload.len, ev->payload.data) : NULL;
        if (p) json_object_set_new(j, "payload", hub_json_from_pb(p));
        json_dumpf(j, stdout, JSON_COMPACT);
        putchar('\n');
        fflush(stdout);
        json_decref(j);
        if (count > 0) count--;
    }
    hub_arena_destroy(&a);
    hub_sub_destroy(&sub);
    return rc;
}

/* A subscription's lag: the publisher's last sequence minus the cursor,
 * when hubctl reached the publisher and the epochs agree; else a word. */
static const char *s_lag(ctl_t *c, const Hub__Subscription *sub, Hub__StatusReply *const *all, int n,
                         const char *const *names, json_t **jlag)
{
    *jlag = json_null();
    for (int i = 0; i < n; i++) {
        if (!all[i] || strcmp(names[i], sub->publisher)) continue;
        if (all[i]->epoch != sub->epoch) return "new epoch (replaying)";
        uint64_t lag = all[i]->last_seq > sub->seq ? all[i]->last_seq - sub->seq : 0;
        json_decref(*jlag);
        *jlag = json_integer((json_int_t)lag);
        return ctl_fmt(c, "%llu", (unsigned long long)lag);
    }
    return "publisher not reached";
}

/* One daemon's block: its state line, its subscriptions with their lag,
 * its queues, then its counters. s is NULL when it could not be asked
 * (rc says why). */
static void s_status_block(ctl_t *c, const char *daemon, int rc, Hub__StatusReply *s,
                           Hub__StatusReply *const *all, int n, const char *const *names)
{
    if (rc) {
        const char *state = rc == EXIT_UNREACHABLE ? "unreachable" : rc == EXIT_USAGE ? "not configured" : "refused";
        if (c->json) {
            /* a refusal was already printed as {"error": ...} */
            if (rc != EXIT_REFUSED) {
                json_t *j = json_pack("{s:s,s:s,s:s}", "source", daemon, "state", state, "endpoint",
                                      ctl_endpoint(c, daemon, "api"));
                json_dumpf(j, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(j);
            }
            return;
        }
        table_t *t = table_new(3, "DAEMON", "STATE", "ENDPOINT");
        table_row(t, daemon, state, ctl_endpoint(c, daemon, "api"));
        table_print(t, stdout);
        return;
    }
    if (c->json) {
        json_t *j = hub_json_from_pb(&s->base);
        json_object_set_new(j, "state", json_string("up"));
        json_t *subs = json_object_get(j, "subscriptions");
        for (size_t i = 0; i < s->n_subscriptions && json_is_array(subs); i++) {
            json_t *lag;
            s_lag(c, s->subscriptions[i], all, n, names, &lag);
            json_object_set_new(json_array_get(subs, i), "lag", lag);
        }
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
        return;
    }
    char up[32], seq[32], bytes[32];
    snprintf(up, sizeof up, "%llds", (long long)s->uptime_s);
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)s->last_seq);
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)s->store_bytes);
    table_t *t = table_new(7, "DAEMON", "STATE", "VERSION", "UPTIME", "LAST SEQ", "STORE BYTES", "PRINCIPALS");
    table_row(t, s->source, "up", s->version, up, seq, bytes,
              *s->principals_digest ? ctl_fmt(c, "%u (%s)", s->principals, s->principals_digest) : "-");
    table_print(t, stdout);
    if (s->n_subscriptions) {
        printf("\n");
        table_t *u = table_new(4, "FOLLOWS", "EPOCH", "CURSOR", "LAG");
        for (size_t i = 0; i < s->n_subscriptions; i++) {
            json_t *jl;
            const char *lag = s_lag(c, s->subscriptions[i], all, n, names, &jl);
            json_decref(jl);
            table_row(u, s->subscriptions[i]->publisher, ctl_fmt(c, "%llu", (unsigned long long)s->subscriptions[i]->epoch),
                      ctl_fmt(c, "%llu", (unsigned long long)s->subscriptions[i]->seq), lag);
        }
        table_print(u, stdout);
    }
    if (s->n_queues) {
        printf("\n");
        table_t *q = table_new(2, "QUEUE", "DEPTH");
        for (size_t i = 0; i < s->n_queues; i++)
            table_row(q, s->queues[i]->name, ctl_fmt(c, "%llu", (unsigned long long)s->queues[i]->value));
        table_print(q, stdout);
    }
    printf("\n");
    table_t *k = table_new(2, "COUNTER", "VALUE");
    for (size_t i = 0; i < s->n_counters; i++) {
        char v[32];
        snprintf(v, sizeof v, "%llu", (unsigned long long)s->counters[i]->value);
        table_row(k, s->counters[i]->name, v);
    }
    table_print(k, stdout);
}

/* Every configured daemon, one block each (a blank line between); an
 * unreachable one is shown as such and makes the exit code 3, the others
 * are still shown. Every daemon is asked first, so each subscription's lag
 * is its publisher's last sequence minus the cursor. */
static int cmd_status(ctl_t *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return ctl_usage();
    int worst = EXIT_OK, rcs[CTL_MAX_DAEMONS];
    Hub__StatusReply *all[CTL_MAX_DAEMONS] = {0};
    for (int i = 0; i < c->n_daemons; i++) {
        rcs[i] = s_status(c, c->daemons[i], &all[i]);
        if (rcs[i]) all[i] = NULL;
        if (rcs[i] > worst) worst = rcs[i];
    }
    for (int i = 0; i < c->n_daemons; i++) {
        if (i && !c->json) printf("\n");
        s_status_block(c, c->daemons[i], rcs[i], all[i], all, c->n_daemons, c->daemons);
        fflush(stdout);
    }
    return worst;
}

static int cmd_keys(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "gen")) return ctl_usage();
    char pub[41], sec[41], path[512];
    if (zmq_curve_keypair(pub, sec)) { fprintf(stderr, "hubctl: libzmq has no CURVE support\n"); return EXIT_REFUSED; }
    snprintf(path, sizeof path, "%s.key", argv[2]);
    mode_t old = umask(077);
    FILE *f = fopen(path, "w");
    umask(old);
    if (!f) { perror(path); return EXIT_REFUSED; }
    fprintf(f, "%s\n", sec);
    fclose(f);
    snprintf(path, sizeof path, "%s.pub", argv[2]);
    if (!(f = fopen(path, "w"))) { perror(path); return EXIT_REFUSED; }
    fprintf(f, "%s\n", pub);
    fclose(f);
    printf("%s.pub  %s\n%s.key  (secret, mode 0600)\n", argv[2], pub, argv[2]);
    return 0;
}

/* CURVE client settings from [hubctl]: server_public_key_file,
 * public_key_file, secret_key_file (and <daemon>_server_public_key_file
 * for a daemon with its own key, see ctl_curve). */
static int s_setup_curve(ctl_t *c)
{
    const char *sk = hub_config_get(c->cfg, "hubctl", "server_public_key_file", "");
    int any = 0;
    for (int i = 0; i < CTL_N_KNOWN; i++) {
        char key[96];
        snprintf(key, sizeof key, "%s_server_public_key_file", ctl_known_daemons[i]);
        if (*hub_config_get(c->cfg, "hubctl", key, "")) any = 1;
    }
    if (!*sk && !any) return 0;
    hub_error_t err = {0};
    if ((*sk && hub_auth_read_key(sk, c->server_key, &err)) ||
        hub_auth_read_key(hub_config_get(c->cfg, "hubctl", "public_key_file", ""), c->public_key, &err) ||
        hub_auth_read_key(hub_config_get(c->cfg, "hubctl", "secret_key_file", ""), c->secret_key, &err)) {
        fprintf(stderr, "hubctl: %s\n", err.message);
        return -1;
    }
    if (*sk) c->curve = (hub_curve_t){c->server_key, c->public_key, c->secret_key};
    return 0;
}

/* Notes which known daemons' sections a configuration file sets. */
static int s_section_seen(void *user, const char *section, const char *name, const char *value)
{
    (void)name;
    (void)value;
    unsigned *seen = user;
    for (int i = 0; i < CTL_N_KNOWN; i++)
        if (!strcmp(section, ctl_known_daemons[i])) *seen |= 1u << i;
    return 1;
}

/* The daemons "status" shows: the known daemons whose section the
 * operator's files name, or all of them when no file names any (the
 * embedded default configures every daemon). */
static void s_setup_daemons(ctl_t *c, unsigned seen)
{
    c->n_daemons = 0;
    for (int i = 0; i < CTL_N_KNOWN && c->n_daemons < CTL_MAX_DAEMONS; i++)
        if ((!seen || (seen & (1u << i))) && *ctl_endpoint(c, ctl_known_daemons[i], "api"))
            c->daemons[c->n_daemons++] = ctl_known_daemons[i];
}

static int cmd_services_top(ctl_t *c, int argc, char **argv)
{
    return argc <= 2 ? cmd_services(c, argc, argv) : ctl_usage();
}

static int cmd_keys_top(ctl_t *c, int argc, char **argv)
{
    (void)c;
    return cmd_keys(argc, argv);
}

static const ctl_command_t s_commands[] = {
    {"services", cmd_services_top}, {"submit", cmd_submit},   {"request", cmd_request},
    {"requests", cmd_requests},     {"opinion", cmd_opinion}, {"opinions", cmd_opinions},
    {"tail", cmd_tail},             {"status", cmd_status},   {"keys", cmd_keys_top},
    {NULL, NULL},
};

static const ctl_command_t *s_find(const ctl_command_t *table, const char *name)
{
    for (; table->name; table++)
        if (!strcmp(table->name, name)) return table;
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", 1, 0, 'c'}, {"json", 0, 0, 'j'}, {"timeout", 1, 0, 'T'},
        {"version", 0, 0, 'V'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    ctl_t c = {0};
    c.timeout_ms = 5000;
    c.cfg = hub_config_new();
    unsigned seen = 0;
    int o, rc = EXIT_USAGE;
    while ((o = getopt_long(argc, argv, "+c:jT:Vh", opts, NULL)) != -1) {
        switch (o) {
        case 'c': {
            hub_error_t err = {0};
            if (hub_config_load_file(c.cfg, optarg, &err)) { fprintf(stderr, "hubctl: %s\n", err.message); goto out; }
            ini_parse(optarg, s_section_seen, &seen);
            break;
        }
        case 'j': c.json = 1; break;
        case 'T': c.timeout_ms = atoi(optarg); break;
        case 'V': printf("hubctl %s\n", HUB_VERSION); rc = 0; goto out;
        case 'h': ctl_usage(); rc = 0; goto out;
        default: ctl_usage(); goto out;
        }
    }
    if (optind >= argc) { ctl_usage(); goto out; }
    if (s_setup_curve(&c)) goto out;
    s_setup_daemons(&c, seen);
    argc -= optind;
    argv += optind;
    const ctl_command_t *cmd = s_find(s_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_activity_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_matching_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_notification_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_tendering_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_reporting_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_security_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_backup_commands, argv[0]);
    if (!cmd) cmd = s_find(ctl_privacy_commands, argv[0]);
    if (!cmd) { ctl_usage(); goto out; }
    c.zctx = zmq_ctx_new();
    c.arena = hub_arena_new(256u << 20);
    rc = cmd->run(&c, argc, argv);
    hub_arena_destroy(&c.arena);
    zmq_ctx_term(c.zctx);
out:
    hub_config_destroy(&c.cfg);
    return rc;
}
