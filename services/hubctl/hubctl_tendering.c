/* hubctl's commands for hub-tendering: public-benefit tenders and venture
 * philanthropy rounds ("tender ..."), bids ("bid ...") and the funds
 * ledger with the donation box ("funds ..."). Every call goes to
 * [tendering] api. Amounts are typed and shown in yuan ("12345.67", at
 * most two decimals) and travel as integer fen; times are typed as
 * "YYYY-MM-DD HH:MM" China Standard Time or relative to now ("+3d",
 * "+2h", "+30m", "+90s") and shown in CST. Human output prints enum values
 * as lower-case words ("award-pending", "not-met"), the same words the
 * options take; --json prints the daemon's reply (export always prints the
 * OCDS JSON text as the daemon returned it). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hub_util.h"
#include "matching.pb-c.h"
#include "table.h"
#include "tendering.pb-c.h"

#define D "tendering"
#define MAX_FEN 100000000000000LL        /* the daemon's bound of every amount (tender.h TENDER_MAX_FEN) */

const char ctl_tendering_usage[] =
    "Commands (hub-tendering):\n"
    "  tender create --title T --buyer ID --buyer-name N --budget YUAN\n"
    "          [--kind purchase|venture] [--description D] [--criterion NAME:WEIGHT]...\n"
    "          [--document \"TITLE|URL[|SHA256[|TYPE]]\"]... [--funder ID:NAME:YUAN]...\n"
    "          [--members-only] [--legal-form F]... [--min-years N] [--need-service S]\n"
    "          [--need-street S] [--need-unmet N] [--need-note T] [--end TIME]\n"
    "                                    a draft (planning); prints its ocid; weights\n"
    "                                    sum to 100, a venture's funder shares to the\n"
    "                                    budget (a purchase's funder is the buyer)\n"
    "  tender update OCID [the options of create] [--no-members-only]\n"
    "                                    change the given fields of a draft (a repeated\n"
    "                                    option replaces that whole list)\n"
    "  tender publish OCID [--end TIME]  open the tender period (until TIME)\n"
    "  tender amend OCID --rationale R [--end TIME] [--document D]...\n"
    "                                    extend the period and/or add documents\n"
    "  tender cancel OCID --reason R\n"
    "  tender show OCID                  the whole process (bids sealed while active;\n"
    "                                    the panel hidden from the public until the\n"
    "                                    award)\n"
    "  tender list [--state S] [--after OCID] [--limit N]\n"
    "  tender export OCID [--record]     the OCDS release package (record package)\n"
    "  tender enquiry ask OCID --question Q        prints the enquiry's id\n"
    "  tender enquiry answer OCID ENQ-ID --answer A\n"
    "  tender evaluator add OCID --id ID --name N [--affiliation ORG]...\n"
    "  tender evaluator declare OCID EVAL-ID       declare no conflict of interest\n"
    "  tender evaluator recuse OCID EVAL-ID --reason R\n"
    "                                    stand an evaluator down (a conflict, say): its\n"
    "                                    scores are dropped and the award no longer\n"
    "                                    waits for it\n"
    "  tender score OCID --evaluator E --bid B --points P[,P...] [--comment C]\n"
    "                                    points 0..100 per criterion, in their order\n"
    "  tender evaluation OCID            the ranking of the valid bids\n"
    "  tender award OCID [--bid B] [--value YUAN] [--reason R]\n"
    "                                    default: the first ranked, at its price; every\n"
    "                                    evaluator not recused must have declared and\n"
    "                                    scored every valid bid; a bid not ranked first\n"
    "                                    needs --reason\n"
    "  tender activate OCID              the pending award becomes active\n"
    "  tender sign OCID --start TIME --end TIME [--value YUAN]\n"
    "          [--milestone \"TITLE|TIME\"]...\n"
    "  tender milestone OCID MS-ID [--status met|not-met|partially-met]\n"
    "          [--percent N] [--text T]  a milestone's status or a progress report\n"
    "  tender pay OCID --amount YUAN [--milestone MS-ID] [--memo M]\n"
    "  tender close OCID --score N [--early] [--reason R] [--evaluation TEXT]\n"
    "                                    end the contract, post-evaluation score 0..100\n"
    "  tender org ORG-ID                 an organization as tendering knows it\n"
    "  bid submit OCID --org ORG --price YUAN [--proposal P] [--document D]...\n"
    "                                    prints the bid's id (one valid bid per org)\n"
    "  bid withdraw OCID BID\n"
    "  bid show OCID BID                 once the tender period has ended\n"
    "  bid disqualify OCID BID --reason R\n"
    "  funds contribute --funder ID [--name N] --amount YUAN [--memo M]\n"
    "  funds donate [--donor NAME | --anonymous] --amount YUAN [--memo M]\n"
    "  funds disburse --name N [--phone P] [--address A] --street S --purpose P\n"
    "          --amount YUAN            a donation-box payment to a person\n"
    "  funds balance                     every account, totals, whether it reconciles\n"
    "                                    (exit 1 when it does not)\n"
    "  funds entries [--account A] [--after ID] [--limit N]\n"
    "  funds disclosure [--after ID] [--limit N]   the public list (names masked)\n"
    "  YUAN: 12345.67 (at most 2 decimals); TIME: \"YYYY-MM-DD HH:MM\" (CST) or\n"
    "  +3d, +2h, +30m, +90s from now\n";

/* TenderEvent for "tendering.*", FundsEvent for "funds.*", else NULL. */
const ProtobufCMessageDescriptor *ctl_tendering_payload_type(const char *topic)
{
    if (!strncmp(topic, "tendering.", 10)) return &tendering__tender_event__descriptor;
    if (!strncmp(topic, "funds.", 6)) return &tendering__funds_event__descriptor;
    return NULL;
}

/* ------------------------------------------------------------------ helpers */

/* Enum values as the words the options take (see ctl_enum_word). */
static const char *s_state(int v) { return ctl_enum_word(&tendering__state__descriptor, v, NULL); }
static const char *s_kind(int v) { return ctl_enum_word(&tendering__kind__descriptor, v, NULL); }
static const char *s_bid_state(int v) { return ctl_enum_word(&tendering__bid_state__descriptor, v, "BID_"); }
static const char *s_ms_status(int v) { return ctl_enum_word(&tendering__milestone_status__descriptor, v, NULL); }
static const char *s_entry_kind(int v) { return ctl_enum_word(&tendering__entry_kind__descriptor, v, NULL); }
static const char *s_contract_status(int v)
{
    return ctl_enum_word(&tendering__contract_status__descriptor, v, "CONTRACT_");
}
/* "pending", "active", "unsuccessful", "cancelled". */
static const char *s_award_status(int v)
{
    if (v == TENDERING__AWARD_STATUS__AWARD_PENDING_STATUS) return "pending";
    return ctl_enum_word(&tendering__award_status__descriptor, v, "AWARD_");
}

/* fen as yuan text, "12345.67" ("-0.05" for -5), in the arena. */
static const char *s_yuan(ctl_t *c, int64_t fen)
{
    unsigned long long a = fen < 0 ? 0ULL - (unsigned long long)fen : (unsigned long long)fen;
    return ctl_fmt(c, "%s%llu.%02llu", fen < 0 ? "-" : "", a / 100, a % 100);
}

/* A weighted score x100 as "81.50". */
static const char *s_centi(ctl_t *c, uint32_t centi)
{
    return ctl_fmt(c, "%u.%02u", centi / 100, centi % 100);
}

/* Strict yuan: digits, then optionally '.' and one or two digits; no
 * sign, no exponent, at most MAX_FEN fen. 0 with *fen set, or -1. */
static int s_parse_yuan(const char *s, int64_t *fen)
{
    int64_t whole = 0, cents = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > MAX_FEN / 100) return -1;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9' && n < 3; p++, n++) cents = cents * 10 + (*p - '0');
        if (n < 1 || n > 2) return -1;
        if (n == 1) cents *= 10;
    }
    if (*p || whole > MAX_FEN / 100 || whole * 100 + cents > MAX_FEN) return -1;
    *fen = whole * 100 + cents;
    return 0;
}

/* s_parse_yuan for option opt: 0, or EXIT_USAGE after saying why. */
static int s_opt_yuan(const char *opt, const char *arg, int64_t *fen)
{
    if (s_parse_yuan(arg, fen)) return ctl_bad(opt, arg, "wants an amount in yuan like 12345.67 (at most 2 decimals)");
    return 0;
}

/* "TITLE|URL[|SHA256[|TYPE]]" as a new document in the arena (the daemon
 * gives it its id and date and checks the url, digest and type). 0, or
 * EXIT_USAGE. */
static int s_parse_document(ctl_t *c, const char *opt, const char *arg, Tendering__Document **out)
{
    char *copy = hub_arena_strdup(c->arena, arg), *part[4] = {0};
    if (!copy) abort();
    int n = 0;
    for (char *p = copy; n < 4; n++) {
        part[n] = p;
        char *bar = strchr(p, '|');
        if (!bar) { n++; break; }
        *bar = 0;
        p = bar + 1;
        if (n == 3) return ctl_bad(opt, arg, "wants TITLE|URL[|SHA256[|TYPE]] (four fields at most)");
    }
    if (n < 2 || !*part[0] || !*part[1]) return ctl_bad(opt, arg, "wants TITLE|URL[|SHA256[|TYPE]]");
    Tendering__Document *d = ctl_alloc(c, sizeof *d);
    tendering__document__init(d);
    d->title = part[0];
    d->url = part[1];
    if (n > 2) d->sha256 = part[2];
    if (n > 3) d->document_type = part[3];
    *out = d;
    return 0;
}

/* Calls a verb that replies ProcessReply; *p is the process (never NULL on
 * success: a reply without one is reported, EXIT_REFUSED). With --json
 * the reply is printed here and *p is NULL. */
static int s_process_call(ctl_t *c, const char *verb, const ProtobufCMessage *req, Tendering__Process **p)
{
    ProtobufCMessage *rep;
    *p = NULL;
    int rc = ctl_call(c, D, verb, req, &tendering__process_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    *p = ((Tendering__ProcessReply *)rep)->process;
    if (!*p) { fprintf(stderr, "hubctl: the daemon sent no process\n"); return EXIT_REFUSED; }
    return 0;
}

/* tendering.tender.get: 0 with *p (the stored process), or an exit code. */
static int s_get_process(ctl_t *c, const char *ocid, Tendering__Process **p)
{
    Tendering__GetRequest req = TENDERING__GET_REQUEST__INIT;
    req.ocid = (char *)ocid;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "tendering.tender.get", &req.base, &tendering__process_reply__descriptor, &rep);
    if (rc) return rc;
    *p = ((Tendering__ProcessReply *)rep)->process;
    if (!*p) { fprintf(stderr, "hubctl: the daemon sent no process\n"); return EXIT_REFUSED; }
    return 0;
}

/* ------------------------------------------------------------------ drafts: create, update */

static const struct option s_draft_opts[] = {
    {"title", 1, 0, 't'},        {"buyer", 1, 0, 'b'},          {"buyer-name", 1, 0, 'B'},
    {"budget", 1, 0, 'g'},       {"kind", 1, 0, 'k'},           {"description", 1, 0, 'd'},
    {"criterion", 1, 0, 'c'},    {"document", 1, 0, 'D'},       {"funder", 1, 0, 'f'},
    {"members-only", 0, 0, 'm'}, {"no-members-only", 0, 0, 'M'}, {"legal-form", 1, 0, 'L'},
    {"min-years", 1, 0, 'y'},    {"need-service", 1, 0, 's'},   {"need-street", 1, 0, 'S'},
    {"need-unmet", 1, 0, 'u'},   {"need-note", 1, 0, 'n'},      {"end", 1, 0, 'e'},
    {0, 0, 0, 0}};

/* The draft's eligibility, made when absent. */
static Tendering__Eligibility *s_elig(ctl_t *c, Tendering__Process *p)
{
    if (!p->eligibility) {
        p->eligibility = ctl_alloc(c, sizeof *p->eligibility);
        tendering__eligibility__init(p->eligibility);
    }
    return p->eligibility;
}

/* The draft's need, made when absent. */
static Tendering__Need *s_need(ctl_t *c, Tendering__Process *p)
{
    if (!p->need) {
        p->need = ctl_alloc(c, sizeof *p->need);
        tendering__need__init(p->need);
    }
    return p->need;
}

/* "NAME:WEIGHT" (the last ':' separates) as a criterion. 0 or EXIT_USAGE. */
static int s_parse_criterion(ctl_t *c, const ctl_op_t *op, Tendering__Criterion **out)
{
    char *copy = hub_arena_strdup(c->arena, op->arg);
    if (!copy) abort();
    char *colon = strrchr(copy, ':');
    Tendering__Criterion *k = ctl_alloc(c, sizeof *k);
    tendering__criterion__init(k);
    if (!colon || colon == copy || ctl_parse_u32(colon + 1, &k->weight) || k->weight > 100)
        return ctl_bad(op->name, op->arg, "wants NAME:WEIGHT, the weight 0..100 (a tender's weights sum to 100)");
    *colon = 0;
    k->name = copy;
    *out = k;
    return 0;
}

/* "ID:NAME:YUAN" (the first ':' ends the id, the last starts the share)
 * as a funder. 0 or EXIT_USAGE. */
static int s_parse_funder(ctl_t *c, const ctl_op_t *op, Tendering__Funder **out)
{
    char *copy = hub_arena_strdup(c->arena, op->arg);
    if (!copy) abort();
    char *first = strchr(copy, ':'), *last = strrchr(copy, ':');
    Tendering__Funder *f = ctl_alloc(c, sizeof *f);
    tendering__funder__init(f);
    if (!first || first == last || first == copy || first + 1 == last || s_parse_yuan(last + 1, &f->share_fen))
        return ctl_bad(op->name, op->arg, "wants ID:NAME:YUAN (the funder's share of the budget)");
    *first = 0;
    *last = 0;
    f->id = copy;
    f->name = first + 1;
    *out = f;
    return 0;
}

/* Applies ops over the draft p; a list option given at least once
 * replaces that list. 0 or EXIT_USAGE. */
static int s_draft_apply(ctl_t *c, Tendering__Process *p, const ctl_op_t *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const ctl_op_t *op = &ops[i];
        char *a = op->arg;
        int v, rc;
        switch (op->code) {
        case 't': p->title = a; break;
        case 'b': p->buyer_id = a; break;
        case 'B': p->buyer_name = a; break;
        case 'g': if ((rc = s_opt_yuan(op->name, a, &p->budget_fen))) return rc; break;
        case 'k':
            if ((v = ctl_enum_parse(&tendering__kind__descriptor, a, NULL)) < 0)
                return ctl_bad(op->name, a, "wants purchase or venture");
            p->kind = v;
            break;
        case 'd': p->description = a; break;
        case 'c': {
            Tendering__Criterion *k = NULL;
            if ((rc = s_parse_criterion(c, op, &k))) return rc;
            if (op->first) p->n_criteria = 0;
            ctl_push(c, &p->criteria, &p->n_criteria, k);
            break;
        }
        case 'D': {
            Tendering__Document *d = NULL;
            if ((rc = s_parse_document(c, op->name, a, &d))) return rc;
            if (op->first) p->n_documents = 0;
            ctl_push(c, &p->documents, &p->n_documents, d);
            break;
        }
        case 'f': {
            Tendering__Funder *f = NULL;
            if ((rc = s_parse_funder(c, op, &f))) return rc;
            if (op->first) p->n_funders = 0;
            ctl_push(c, &p->funders, &p->n_funders, f);
            break;
        }
        case 'm': s_elig(c, p)->members_only = true; break;
        case 'M': s_elig(c, p)->members_only = false; break;
        case 'L': {
            if ((v = ctl_enum_parse(&matching__legal_form__descriptor, a, NULL)) < 0)
                return ctl_bad(op->name, a,
                               ctl_fmt(c, "wants one of %s", ctl_enum_words(&matching__legal_form__descriptor, NULL)));
            Tendering__Eligibility *e = s_elig(c, p);
            if (op->first) e->n_legal_forms = 0;
            uint32_t u = (uint32_t)v;
            ctl_append(c, &e->legal_forms, &e->n_legal_forms, &u, sizeof u);
            break;
        }
        case 'y': if ((rc = ctl_opt_u32(op->name, a, 0, 200, &s_elig(c, p)->min_years_active))) return rc; break;
        case 's': s_need(c, p)->service = a; break;
        case 'S': s_need(c, p)->street = a; break;
        case 'u': if ((rc = ctl_opt_u32(op->name, a, 0, UINT32_MAX, &s_need(c, p)->unmet_count))) return rc; break;
        case 'n': s_need(c, p)->note = a; break;
        case 'e': if ((rc = ctl_opt_time(op->name, a, &p->tender_end_ms))) return rc; break;
        default: return ctl_usage();
        }
    }
    return 0;
}

/* "tender create [options]": tendering.tender.create; prints the ocid.
 * --title, --buyer, --buyer-name and --budget are required; the kind
 * defaults to purchase (whose funder, the buyer, the daemon implies). */
static int s_tender_create(ctl_t *c, int argc, char **argv)
{
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, s_draft_opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos) return ctl_usage();
    Tendering__Process *p = ctl_alloc(c, sizeof *p);
    tendering__process__init(p);
    p->kind = TENDERING__KIND__PURCHASE;
    if ((rc = s_draft_apply(c, p, ops, n_ops))) return rc;
    if (!*p->title || !*p->buyer_id || !*p->buyer_name || !ctl_op(ops, n_ops, 'g')) {
        fprintf(stderr, "hubctl: tender create needs --title, --buyer, --buyer-name and --budget\n");
        return EXIT_USAGE;
    }
    Tendering__CreateRequest req = TENDERING__CREATE_REQUEST__INIT;
    req.process = p;
    Tendering__Process *got;
    if ((rc = s_process_call(c, "tendering.tender.create", &req.base, &got)) || !got) return rc;
    printf("%s\n", got->ocid);
    return 0;
}

/* "tender update OCID [options]": tendering.tender.update replaces the
 * draft's description fields, so the stored draft is read first and only
 * the options given change it. A purchase whose budget, buyer or kind
 * changes without --funder drops its funder (the daemon implies the
 * buyer with the whole budget again). Prints "OCID updated". */
static int s_tender_update(ctl_t *c, int argc, char **argv)
{
    ctl_op_t *ops;
    size_t n_ops, n_pos;
    char **pos;
    int rc = ctl_collect(c, argc, argv, s_draft_opts, &ops, &n_ops, &pos, &n_pos);
    if (rc) return rc;
    if (n_pos != 1) return ctl_usage();
    /* check every option before asking the daemon anything */
    Tendering__Process scratch = TENDERING__PROCESS__INIT;
    if ((rc = s_draft_apply(c, &scratch, ops, n_ops))) return rc;
    if (!n_ops) { fprintf(stderr, "hubctl: tender update: nothing to change\n"); return EXIT_USAGE; }
    Tendering__Process *p;
    if ((rc = s_get_process(c, pos[0], &p))) return rc;
    if ((rc = s_draft_apply(c, p, ops, n_ops))) return rc;
    if (p->kind == TENDERING__KIND__PURCHASE && !ctl_op(ops, n_ops, 'f') &&
        (ctl_op(ops, n_ops, 'g') || ctl_op(ops, n_ops, 'b') || ctl_op(ops, n_ops, 'B') || ctl_op(ops, n_ops, 'k')))
        p->n_funders = 0;
    Tendering__UpdateRequest req = TENDERING__UPDATE_REQUEST__INIT;
    req.process = p;
    Tendering__Process *got;
    if ((rc = s_process_call(c, "tendering.tender.update", &req.base, &got)) || !got) return rc;
    printf("%s updated\n", got->ocid);
    return 0;
}

/* ------------------------------------------------------------------ the process's life */

/* "tender publish OCID [--end TIME]": PLANNING -> ACTIVE. */
static int s_tender_publish(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"end", 1, 0, 'e'}, {0, 0, 0, 0}};
    Tendering__PublishRequest req = TENDERING__PUBLISH_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'e') return ctl_usage();
        if ((rc = ctl_opt_time("end", optarg, &req.tender_end_ms))) return rc;
    }
    if (argc - optind != 1) return ctl_usage();
    req.ocid = argv[optind];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.tender.publish", &req.base, &p)) || !p) return rc;
    printf("%s %s until %s (CST)\n", p->ocid, s_state(p->state), ctl_time(p->tender_end_ms));
    return 0;
}

/* "tender amend OCID --rationale R [--end TIME] [--document D]...". */
static int s_tender_amend(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"rationale", 1, 0, 'r'}, {"end", 1, 0, 'e'}, {"document", 1, 0, 'D'},
                                         {0, 0, 0, 0}};
    Tendering__AmendRequest req = TENDERING__AMEND_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'r': req.rationale = optarg; break;
        case 'e': if ((rc = ctl_opt_time("end", optarg, &req.new_end_ms))) return rc; break;
        case 'D': {
            Tendering__Document *d = NULL;
            if ((rc = s_parse_document(c, "document", optarg, &d))) return rc;
            ctl_push(c, &req.documents, &req.n_documents, d);
            break;
        }
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    if (!*req.rationale) { fprintf(stderr, "hubctl: tender amend needs --rationale\n"); return EXIT_USAGE; }
    if (!req.new_end_ms && !req.n_documents) {
        fprintf(stderr, "hubctl: tender amend needs --end or --document\n");
        return EXIT_USAGE;
    }
    req.ocid = argv[optind];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.tender.amend", &req.base, &p)) || !p) return rc;
    printf("%s amended: %s until %s (CST), %zu document%s\n", p->ocid, s_state(p->state), ctl_time(p->tender_end_ms),
           p->n_documents, p->n_documents == 1 ? "" : "s");
    return 0;
}

/* "tender cancel OCID --reason R". */
static int s_tender_cancel(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"reason", 1, 0, 'r'}, {0, 0, 0, 0}};
    Tendering__CancelRequest req = TENDERING__CANCEL_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'r') return ctl_usage();
        req.reason = optarg;
    }
    if (argc - optind != 1) return ctl_usage();
    if (!*req.reason) { fprintf(stderr, "hubctl: tender cancel needs --reason\n"); return EXIT_USAGE; }
    req.ocid = argv[optind];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.tender.cancel", &req.base, &p)) || !p) return rc;
    printf("%s %s\n", p->ocid, s_state(p->state));
    return 0;
}

/* ------------------------------------------------------------------ show, list, export */

/* Who may bid, in words. */
static const char *s_elig_text(ctl_t *c, const Tendering__Eligibility *e)
{
    if (!e || (!e->members_only && !e->n_legal_forms && !e->min_years_active)) return "any organization";
    char forms[256] = "";
    for (size_t i = 0; i < e->n_legal_forms; i++)
        snprintf(forms + strlen(forms), sizeof forms - strlen(forms), "%s%s", i ? ", " : "",
                 ctl_enum_word(&matching__legal_form__descriptor, (int)e->legal_forms[i], NULL));
    const char *years = e->min_years_active ? ctl_fmt(c, "at least %u years active", e->min_years_active) : "";
    return ctl_fmt(c, "%s%s%s%s%s%s", e->members_only ? "approved members only" : "",
                   e->members_only && (*forms || *years) ? "; " : "", *forms ? "legal forms " : "", forms,
                   *forms && *years ? "; " : "", years);
}

/* A document's table row. */
static void s_document_row(table_t *t, const Tendering__Document *d)
{
    table_row(t, d->id, d->document_type, d->title, d->url, d->sha256, ctl_time_or_empty(d->date_ms));
}

/* Prints the process's bids: while sealed (planning, active; cancelled
 * before the period ended: never opened) only ids, states and times with
 * "sealed" for the content, and the count of valid bids; afterwards org,
 * price, state, rank and total (a withdrawn bid's org and price only in
 * operators' and auditors' replies). */
static void s_bids_print(ctl_t *c, const Tendering__Process *p)
{
    bool cancelled = p->state == TENDERING__STATE__CANCELLED && !p->bids_opened;
    bool sealed = p->state == TENDERING__STATE__PLANNING || p->state == TENDERING__STATE__ACTIVE || cancelled;
    if (sealed) {
        printf("\nbids: sealed %s, %u valid\n",
               cancelled ? "(cancelled before the tender period ended)" : "until the tender period ends", p->bid_count);
        if (!p->n_bids) return;
        table_t *t = table_new(6, "BID", "ORG", "PRICE (YUAN)", "STATE", "SUBMITTED (CST)", "WITHDRAWN (CST)");
        for (size_t i = 0; i < p->n_bids; i++) {
            const Tendering__Bid *b = p->bids[i];
            table_row(t, b->id, "sealed", "sealed", s_bid_state(b->state), ctl_time_or_empty(b->submitted_ms),
                      ctl_time_or_empty(b->withdrawn_ms));
        }
        table_print(t, stdout);
        return;
    }
    if (!p->n_bids) { printf("\nbids: none\n"); return; }
    printf("\nbids:\n");
    table_t *t = table_new(9, "RANK", "BID", "ORG", "NAME", "PRICE (YUAN)", "STATE", "TOTAL", "SUBMITTED (CST)",
                           "NOTE");
    for (size_t i = 0; i < p->n_bids; i++) {
        const Tendering__Bid *b = p->bids[i];
        bool blank = !*b->org_id; /* a withdrawn bid in the public view */
        table_row(t, b->rank ? ctl_fmt(c, "%u", b->rank) : "", b->id, b->org_id, b->org_name,
                  blank ? "" : s_yuan(c, b->price_fen),
                  s_bid_state(b->state), b->total_centi || b->rank ? s_centi(c, b->total_centi) : "",
                  ctl_time_or_empty(b->submitted_ms),
                  *b->disqualified_reason ? b->disqualified_reason
                  : b->withdrawn_ms       ? ctl_fmt(c, "withdrawn %s", ctl_time(b->withdrawn_ms))
                                          : "");
    }
    table_print(t, stdout);
}

/* Prints the contract: a summary line, its milestones, its payments. */
static void s_contract_print(ctl_t *c, const Tendering__Contract *k)
{
    printf("\n");
    ctl_kv("contract", ctl_fmt(c, "%s %s, value %s yuan, paid %s yuan", k->id, s_contract_status(k->status),
                             s_yuan(c, k->value_fen), s_yuan(c, k->paid_fen)));
    ctl_kv("period", ctl_fmt(c, "%s to %s (CST)", ctl_time_or_empty(k->start_ms), ctl_time_or_empty(k->end_ms)));
    ctl_kv("signed", ctl_time_or_empty(k->signed_ms));
    printf("\nmilestones:\n");
    table_t *t = table_new(6, "MILESTONE", "TITLE", "DUE (CST)", "STATUS", "MET (CST)", "LAST REPORT");
    for (size_t i = 0; i < k->n_milestones; i++) {
        const Tendering__Milestone *m = k->milestones[i];
        const Tendering__Progress *r = NULL; /* the last report that says something */
        for (size_t j = m->n_reports; j-- > 0 && !r;)
            if (m->reports[j]->percent || *m->reports[j]->text) r = m->reports[j];
        table_row(t, m->id, m->title, ctl_time_or_empty(m->due_ms), s_ms_status(m->status),
                  ctl_time_or_empty(m->date_met_ms),
                  r ? ctl_fmt(c, "%s%s %s", ctl_time_or_empty(r->date_ms), r->percent ? ctl_fmt(c, " %u%%", r->percent) : "",
                              r->text)
                    : "");
    }
    table_print(t, stdout);
    printf("\npayments:\n");
    t = table_new(6, "PAYMENT", "DATE (CST)", "AMOUNT (YUAN)", "MILESTONE", "ENTRY", "MEMO");
    for (size_t i = 0; i < k->n_payments; i++) {
        const Tendering__Payment *y = k->payments[i];
        table_row(t, y->id, ctl_time_or_empty(y->date_ms), s_yuan(c, y->amount_fen), y->milestone_id, y->entry_id,
                  y->memo);
    }
    table_print(t, stdout);
}

/* Prints a whole process: the header as "label  value" lines, then each
 * part that has something (criteria, funders, documents, amendments,
 * enquiries, bids, evaluators, scores, award, contract, closure). */
static void s_process_print(ctl_t *c, const Tendering__Process *p)
{
    ctl_kv("ocid", p->ocid);
    ctl_kv("title", p->title);
    ctl_kv("kind", s_kind(p->kind));
    ctl_kv("state", s_state(p->state));
    ctl_kv("buyer", ctl_fmt(c, "%s %s", p->buyer_id, p->buyer_name));
    ctl_kv("budget", ctl_fmt(c, "%s yuan", s_yuan(c, p->budget_fen)));
    ctl_kv("eligibility", s_elig_text(c, p->eligibility));
    if (p->need && (*p->need->service || *p->need->street || p->need->unmet_count))
        ctl_kv("need", ctl_fmt(c, "%s %s, %u unmet%s%s", p->need->service, p->need->street, p->need->unmet_count,
                             *p->need->note ? "; " : "", p->need->note));
    if (p->tender_start_ms)
        ctl_kv("tender period", ctl_fmt(c, "%s to %s (CST)", ctl_time(p->tender_start_ms), ctl_time_or_empty(p->tender_end_ms)));
    else if (p->tender_end_ms)
        ctl_kv("tender period", ctl_fmt(c, "until %s (CST) once published", ctl_time(p->tender_end_ms)));
    ctl_kv("cancelled", p->cancel_reason);
    ctl_kv("releases", ctl_fmt(c, "%u", p->releases));
    ctl_kv("created", ctl_time_or_empty(p->created_ms));
    ctl_kv("updated", ctl_time_or_empty(p->updated_ms));
    ctl_kv_text("description", p->description);

    printf("\ncriteria:\n");
    table_t *t = table_new(4, "#", "CRITERION", "WEIGHT", "DESCRIPTION");
    for (size_t i = 0; i < p->n_criteria; i++)
        table_row(t, ctl_fmt(c, "%zu", i + 1), p->criteria[i]->name, ctl_fmt(c, "%u", p->criteria[i]->weight),
                  p->criteria[i]->description);
    table_print(t, stdout);
    if (p->n_funders) {
        printf("\nfunders:\n");
        t = table_new(5, "FUNDER", "NAME", "SHARE (YUAN)", "DRAW (YUAN)", "PAID (YUAN)");
        for (size_t i = 0; i < p->n_funders; i++) {
            const Tendering__Funder *f = p->funders[i];
            table_row(t, f->id, f->name, s_yuan(c, f->share_fen), s_yuan(c, f->draw_fen), s_yuan(c, f->paid_fen));
        }
        table_print(t, stdout);
    }
    if (p->n_documents) {
        printf("\ndocuments:\n");
        t = table_new(6, "DOCUMENT", "TYPE", "TITLE", "URL", "SHA256", "DATE (CST)");
        for (size_t i = 0; i < p->n_documents; i++) s_document_row(t, p->documents[i]);
        table_print(t, stdout);
    }
    if (p->n_amendments) {
        printf("\namendments:\n");
        t = table_new(5, "AMENDMENT", "DATE (CST)", "OLD END (CST)", "NEW END (CST)", "RATIONALE");
        for (size_t i = 0; i < p->n_amendments; i++) {
            const Tendering__Amendment *a = p->amendments[i];
            table_row(t, a->id, ctl_time_or_empty(a->date_ms), ctl_time_or_empty(a->old_end_ms),
                      ctl_time_or_empty(a->new_end_ms), a->rationale);
        }
        table_print(t, stdout);
    }
    if (p->n_enquiries) {
        printf("\nenquiries:\n");
        t = table_new(5, "ENQUIRY", "ASKED (CST)", "QUESTION", "ANSWERED (CST)", "ANSWER");
        for (size_t i = 0; i < p->n_enquiries; i++) {
            const Tendering__Enquiry *q = p->enquiries[i];
            table_row(t, q->id, ctl_time_or_empty(q->date_ms), q->question, ctl_time_or_empty(q->answered_ms),
                      q->answer);
        }
        table_print(t, stdout);
    }
    if (p->state != TENDERING__STATE__PLANNING || p->n_bids) s_bids_print(c, p);
    if (p->n_evaluators) {
        /* the panel is in operators' and auditors' replies (the public's
         * only from the award, without affiliations): the affiliations
         * column only when some are there; a recused evaluator says so in
         * DECLARED, with its reason in the NOTE column */
        bool any = false, recused = false;
        for (size_t i = 0; i < p->n_evaluators; i++) {
            any |= p->evaluators[i]->n_affiliations > 0;
            recused |= p->evaluators[i]->recused;
        }
        printf("\nevaluators:\n");
        t = table_new(3 + any + recused, "EVALUATOR", "NAME", "DECLARED (CST)", any ? "AFFILIATIONS" : "NOTE", "NOTE");
        for (size_t i = 0; i < p->n_evaluators; i++) {
            const Tendering__Evaluator *e = p->evaluators[i];
            const char *aff = "";
            for (size_t j = 0; j < e->n_affiliations; j++) aff = ctl_fmt(c, "%s%s%s", aff, j ? " " : "", e->affiliations[j]);
            const char *declared = e->recused ? "recused" : e->declared ? ctl_time_or_empty(e->declared_ms) : "no";
            const char *note = e->recused ? ctl_fmt(c, "recused: %s", e->recusal_reason) : "";
            table_row(t, e->id, e->name, declared, any ? aff : note, note);
        }
        table_print(t, stdout);
    }
    if (p->n_scores) {
        printf("\nscores:\n");
        t = table_new(5, "EVALUATOR", "BID", "POINTS", "DATE (CST)", "COMMENT");
        for (size_t i = 0; i < p->n_scores; i++) {
            const Tendering__Score *s = p->scores[i];
            const char *pts = "";
            for (size_t j = 0; j < s->n_points; j++) pts = ctl_fmt(c, "%s%s%u", pts, j ? "," : "", s->points[j]);
            table_row(t, s->evaluator_id, s->bid_id, pts, ctl_time_or_empty(s->date_ms), s->comment);
        }
        table_print(t, stdout);
    }
    if (p->award && *p->award->id) {
        const Tendering__Award *a = p->award;
        printf("\n");
        ctl_kv("award", ctl_fmt(c, "%s %s: %s %s %s, %s yuan, %s (CST)", a->id, s_award_status(a->status), a->bid_id,
                              a->org_id, a->org_name, s_yuan(c, a->value_fen), ctl_time_or_empty(a->date_ms)));
        ctl_kv_text("award reason", a->reason);
    }
    if (p->contract && *p->contract->id) s_contract_print(c, p->contract);
    if (p->closure && p->closure->date_ms) {
        const Tendering__Closure *k = p->closure;
        printf("\n");
        ctl_kv("closure", ctl_fmt(c, "%s, %s (CST)", k->early ? "terminated early" : "completed", ctl_time(k->date_ms)));
        ctl_kv("reason", k->reason);
        ctl_kv("post score", ctl_fmt(c, "%u", k->post_score));
        ctl_kv_text("post evaluation", k->post_evaluation);
    }
}

/* "tender show OCID": the whole process; --json the reply. */
static int s_tender_show(ctl_t *c, int argc, char **argv)
{
    if (argc != 2) return ctl_usage();
    Tendering__GetRequest req = TENDERING__GET_REQUEST__INIT;
    req.ocid = argv[1];
    Tendering__Process *p;
    int rc = s_process_call(c, "tendering.tender.get", &req.base, &p);
    if (rc || !p) return rc;
    s_process_print(c, p);
    return 0;
}

/* "tender list [--state S] [--after OCID] [--limit N]": a table. */
static int s_tender_list(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"state", 1, 0, 's'}, {"after", 1, 0, 'a'}, {"limit", 1, 0, 'l'}, {0, 0, 0, 0}};
    Tendering__ListRequest req = TENDERING__LIST_REQUEST__INIT;
    int o, v, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if ((v = ctl_enum_parse(&tendering__state__descriptor, optarg, NULL)) < 0)
                return ctl_bad("state", optarg,
                               ctl_fmt(c, "wants one of %s", ctl_enum_words(&tendering__state__descriptor, NULL)));
            req.state = v;
            break;
        case 'a': req.after_ocid = optarg; break;
        case 'l': if ((rc = ctl_opt_u32("limit", optarg, 0, UINT32_MAX, &req.limit))) return rc; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "tendering.tender.list", &req.base, &tendering__list_reply__descriptor, &rep))) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Tendering__ListReply *l = (Tendering__ListReply *)rep;
    table_t *t = table_new(8, "OCID", "STATE", "KIND", "TITLE", "BUYER", "BUDGET (YUAN)", "PERIOD ENDS (CST)", "BIDS");
    for (size_t i = 0; i < l->n_processes; i++) {
        const Tendering__Process *p = l->processes[i];
        table_row(t, p->ocid, s_state(p->state), s_kind(p->kind), p->title, p->buyer_name, s_yuan(c, p->budget_fen),
                  ctl_time_or_empty(p->tender_end_ms), ctl_fmt(c, "%u", p->bid_count));
    }
    table_print(t, stdout);
    if (*l->next_after_ocid)
        printf("more: hubctl tender list%s%s --after %s\n", req.state ? " --state " : "", req.state ? s_state(req.state) : "",
               l->next_after_ocid);
    return 0;
}

/* "tender export OCID [--record]": the OCDS release package (or record
 * package) exactly as the daemon wrote it, ending with a newline, and
 * nothing else, so that it can be redirected to a file (--json too). */
static int s_tender_export(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"record", 0, 0, 'r'}, {0, 0, 0, 0}};
    Tendering__ExportRequest req = TENDERING__EXPORT_REQUEST__INIT;
    req.what = "package";
    int o;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'r') return ctl_usage();
        req.what = "record";
    }
    if (argc - optind != 1) return ctl_usage();
    req.ocid = argv[optind];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "tendering.export", &req.base, &tendering__export_reply__descriptor, &rep);
    if (rc) return rc;
    const char *json = ((Tendering__ExportReply *)rep)->json;
    size_t len = strlen(json);
    fputs(json, stdout);
    if (!len || json[len - 1] != '\n') putchar('\n');
    return 0;
}

/* ------------------------------------------------------------------ enquiries, evaluators, scores */

/* "tender enquiry ask OCID --question Q" (prints the new enquiry's id) |
 * "tender enquiry answer OCID ENQ-ID --answer A". argv[0] is "enquiry". */
static int s_tender_enquiry(ctl_t *c, int argc, char **argv)
{
    if (argc < 2) return ctl_usage();
    bool ask = !strcmp(argv[1], "ask");
    if (!ask && strcmp(argv[1], "answer")) return ctl_usage();
    static const struct option ask_opts[] = {{"question", 1, 0, 'x'}, {0, 0, 0, 0}};
    static const struct option answer_opts[] = {{"answer", 1, 0, 'x'}, {0, 0, 0, 0}};
    Tendering__EnquiryRequest req = TENDERING__ENQUIRY_REQUEST__INIT;
    int o, rc;
    argc--, argv++; /* argv[0] is now the verb, skipped by getopt */
    optind = 0;
    while ((o = getopt_long(argc, argv, "", ask ? ask_opts : answer_opts, NULL)) != -1) {
        if (o != 'x') return ctl_usage();
        req.text = optarg;
    }
    if (argc - optind != (ask ? 1 : 2)) return ctl_usage();
    if (!*req.text) {
        fprintf(stderr, "hubctl: tender enquiry %s needs %s\n", argv[0], ask ? "--question" : "--answer");
        return EXIT_USAGE;
    }
    req.ocid = argv[optind];
    if (!ask) req.enquiry_id = argv[optind + 1];
    Tendering__Process *p;
    if ((rc = s_process_call(c, ask ? "tendering.enquiry.ask" : "tendering.enquiry.answer", &req.base, &p)) || !p)
        return rc;
    if (!ask) { printf("%s answered\n", req.enquiry_id); return 0; }
    if (!p->n_enquiries) { fprintf(stderr, "hubctl: the daemon sent no enquiry\n"); return EXIT_REFUSED; }
    printf("%s\n", p->enquiries[p->n_enquiries - 1]->id);
    return 0;
}

/* "tender evaluator recuse OCID EVAL-ID --reason R": the evaluator
 * stands down (tendering.evaluator.recuse); the daemon drops its scores and
 * the award no longer waits for it. argv[0] is "recuse". */
static int s_evaluator_recuse(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"reason", 1, 0, 'r'}, {0, 0, 0, 0}};
    Tendering__DeclareRequest req = TENDERING__DECLARE_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o != 'r') return ctl_usage();
        req.reason = optarg;
    }
    if (argc - optind != 2) return ctl_usage();
    if (!*req.reason) { fprintf(stderr, "hubctl: tender evaluator recuse needs --reason\n"); return EXIT_USAGE; }
    req.ocid = argv[optind];
    req.evaluator_id = argv[optind + 1];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.evaluator.recuse", &req.base, &p)) || !p) return rc;
    printf("%s recused: %s\n", req.evaluator_id, req.reason);
    return 0;
}

/* "tender evaluator add OCID --id ID --name N [--affiliation ORG]..." |
 * "tender evaluator declare OCID EVAL-ID" (no conflict of interest; the
 * daemon refuses with PERMISSION_DENIED when the evaluator is linked to a
 * bidder) | "tender evaluator recuse OCID EVAL-ID --reason R". argv[0] is
 * "evaluator". */
static int s_tender_evaluator(ctl_t *c, int argc, char **argv)
{
    if (argc < 2) return ctl_usage();
    int rc;
    Tendering__Process *p;
    if (!strcmp(argv[1], "recuse")) return s_evaluator_recuse(c, argc - 1, argv + 1);
    if (!strcmp(argv[1], "declare")) {
        if (argc != 4) return ctl_usage();
        Tendering__DeclareRequest req = TENDERING__DECLARE_REQUEST__INIT;
        req.ocid = argv[2];
        req.evaluator_id = argv[3];
        req.no_conflict = true;
        if ((rc = s_process_call(c, "tendering.evaluator.declare", &req.base, &p)) || !p) return rc;
        printf("%s declared no conflict of interest\n", req.evaluator_id);
        return 0;
    }
    if (strcmp(argv[1], "add")) return ctl_usage();
    static const struct option opts[] = {{"id", 1, 0, 'i'}, {"name", 1, 0, 'n'}, {"affiliation", 1, 0, 'a'}, {0, 0, 0, 0}};
    Tendering__Evaluator *e = ctl_alloc(c, sizeof *e);
    tendering__evaluator__init(e);
    int o;
    argc--, argv++;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'i': e->id = optarg; break;
        case 'n': e->name = optarg; break;
        case 'a': ctl_push(c, &e->affiliations, &e->n_affiliations, optarg); break;
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    if (!*e->id || !*e->name) { fprintf(stderr, "hubctl: tender evaluator add needs --id and --name\n"); return EXIT_USAGE; }
    Tendering__AddEvaluatorRequest req = TENDERING__ADD_EVALUATOR_REQUEST__INIT;
    req.ocid = argv[optind];
    req.evaluator = e;
    if ((rc = s_process_call(c, "tendering.evaluator.add", &req.base, &p)) || !p) return rc;
    printf("%s added to %s\n", e->id, p->ocid);
    return 0;
}

/* "tender score OCID --evaluator E --bid B --points P[,P...] [--comment C]":
 * one evaluator's points (0..100) per criterion; prints the weighted total. */
static int s_tender_score(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"evaluator", 1, 0, 'e'}, {"bid", 1, 0, 'b'}, {"points", 1, 0, 'p'},
                                         {"comment", 1, 0, 'c'},   {0, 0, 0, 0}};
    Tendering__Score *s = ctl_alloc(c, sizeof *s);
    tendering__score__init(s);
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'e': s->evaluator_id = optarg; break;
        case 'b': s->bid_id = optarg; break;
        case 'c': s->comment = optarg; break;
        case 'p': {
            s->n_points = 0;
            char *copy = hub_arena_strdup(c->arena, optarg), *save = NULL;
            if (!copy) abort();
            for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                uint32_t u;
                if (ctl_parse_u32(w, &u) || u > 100)
                    return ctl_bad("points", optarg, "wants whole numbers 0..100 separated by commas, one per criterion");
                ctl_append(c, &s->points, &s->n_points, &u, sizeof u);
            }
            if (!s->n_points) return ctl_bad("points", optarg, "wants whole numbers 0..100 separated by commas");
            break;
        }
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    if (!*s->evaluator_id || !*s->bid_id || !s->n_points) {
        fprintf(stderr, "hubctl: tender score needs --evaluator, --bid and --points\n");
        return EXIT_USAGE;
    }
    Tendering__ScoreRequest req = TENDERING__SCORE_REQUEST__INIT;
    req.ocid = argv[optind];
    req.score = s;
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.score", &req.base, &p)) || !p) return rc;
    uint32_t centi = 0;
    for (size_t i = 0; i < s->n_points && i < p->n_criteria; i++) centi += s->points[i] * p->criteria[i]->weight;
    printf("%s scored %s: %s\n", s->evaluator_id, s->bid_id, s_centi(c, centi));
    return 0;
}

/* "tender evaluation OCID": the ranking table (total = the mean of the
 * evaluators' weighted scores, two decimals). */
static int s_tender_evaluation(ctl_t *c, int argc, char **argv)
{
    if (argc != 2) return ctl_usage();
    Tendering__GetRequest req = TENDERING__GET_REQUEST__INIT;
    req.ocid = argv[1];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "tendering.evaluation", &req.base, &tendering__evaluation_reply__descriptor, &rep);
    if (rc) return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    Tendering__EvaluationReply *e = (Tendering__EvaluationReply *)rep;
    table_t *t = table_new(7, "RANK", "BID", "ORG", "NAME", "PRICE (YUAN)", "TOTAL", "SCORED BY");
    for (size_t i = 0; i < e->n_ranking; i++) {
        const Tendering__Ranked *r = e->ranking[i];
        table_row(t, r->rank ? ctl_fmt(c, "%u", r->rank) : "", r->bid_id, r->org_id, r->org_name,
                  s_yuan(c, r->price_fen), s_centi(c, r->total_centi),
                  ctl_fmt(c, "%u of %u", r->evaluators_scored, e->evaluators_declared));
    }
    table_print(t, stdout);
    printf("evaluators declared: %u; recused: %u; complete: %s\n", e->evaluators_declared, e->evaluators_recused,
           e->complete ? "yes" : "no");
    if (e->n_waiting_for) {
        printf("waiting for:");
        for (size_t i = 0; i < e->n_waiting_for; i++) printf("%s %s", i ? "," : "", e->waiting_for[i]);
        printf("\n");
    }
    return 0;
}

/* ------------------------------------------------------------------ award, contract */

/* "tender award OCID [--bid B] [--value YUAN] [--reason R]": EVALUATION ->
 * AWARD_PENDING (or UNSUCCESSFUL when no valid bid is left). The daemon
 * wants the evaluation complete, and a reason for a bid not ranked first
 * (INVALID_ARGUMENT without one); prints the award ("; reason: R" when it
 * has one). */
static int s_tender_award(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"bid", 1, 0, 'b'}, {"value", 1, 0, 'v'}, {"reason", 1, 0, 'r'},
                                         {0, 0, 0, 0}};
    Tendering__AwardRequest req = TENDERING__AWARD_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': req.bid_id = optarg; break;
        case 'v': if ((rc = s_opt_yuan("value", optarg, &req.value_fen))) return rc; break;
        case 'r': req.reason = optarg; break;
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    req.ocid = argv[optind];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.award", &req.base, &p)) || !p) return rc;
    const Tendering__Award *a = p->award;
    if (a && *a->id && p->state != TENDERING__STATE__UNSUCCESSFUL)
        printf("%s %s: %s %s %s, %s yuan%s%s\n", p->ocid, s_state(p->state), a->bid_id, a->org_id, a->org_name,
               s_yuan(c, a->value_fen), *a->reason ? "; reason: " : "", a->reason);
    else
        printf("%s %s\n", p->ocid, s_state(p->state));
    return 0;
}

/* "tender activate OCID": AWARD_PENDING -> AWARDED. */
static int s_tender_activate(ctl_t *c, int argc, char **argv)
{
    if (argc != 2) return ctl_usage();
    Tendering__GetRequest req = TENDERING__GET_REQUEST__INIT;
    req.ocid = argv[1];
    Tendering__Process *p;
    int rc = s_process_call(c, "tendering.award.activate", &req.base, &p);
    if (rc || !p) return rc;
    printf("%s %s\n", p->ocid, s_state(p->state));
    return 0;
}

/* "TITLE|TIME" (the last '|' separates) as a scheduled milestone. 0 or
 * EXIT_USAGE. */
static int s_parse_milestone(ctl_t *c, const char *arg, Tendering__Milestone **out)
{
    char *copy = hub_arena_strdup(c->arena, arg);
    if (!copy) abort();
    char *bar = strrchr(copy, '|');
    if (!bar || bar == copy) return ctl_bad("milestone", arg, "wants \"TITLE|TIME\"");
    *bar = 0;
    Tendering__Milestone *m = ctl_alloc(c, sizeof *m);
    tendering__milestone__init(m);
    int rc = ctl_opt_time("milestone", bar + 1, &m->due_ms);
    if (rc) return rc;
    m->title = copy;
    *out = m;
    return 0;
}

/* "tender sign OCID --start TIME --end TIME [--value YUAN] [--milestone
 * "TITLE|TIME"]...": AWARDED -> CONTRACTED; prints the contract and one
 * "milestone ID DUE TITLE" line each. */
static int s_tender_sign(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"value", 1, 0, 'v'}, {"start", 1, 0, 's'}, {"end", 1, 0, 'e'},
                                         {"milestone", 1, 0, 'm'}, {0, 0, 0, 0}};
    Tendering__SignRequest req = TENDERING__SIGN_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'v': if ((rc = s_opt_yuan("value", optarg, &req.value_fen))) return rc; break;
        case 's': if ((rc = ctl_opt_time("start", optarg, &req.start_ms))) return rc; break;
        case 'e': if ((rc = ctl_opt_time("end", optarg, &req.end_ms))) return rc; break;
        case 'm': {
            Tendering__Milestone *m = NULL;
            if ((rc = s_parse_milestone(c, optarg, &m))) return rc;
            ctl_push(c, &req.milestones, &req.n_milestones, m);
            break;
        }
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    if (!req.start_ms || !req.end_ms) { fprintf(stderr, "hubctl: tender sign needs --start and --end\n"); return EXIT_USAGE; }
    req.ocid = argv[optind];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.contract.sign", &req.base, &p)) || !p) return rc;
    const Tendering__Contract *k = p->contract;
    if (!k) { printf("%s %s\n", p->ocid, s_state(p->state)); return 0; }
    printf("%s %s: contract %s, %s yuan, %s to %s (CST)\n", p->ocid, s_state(p->state), k->id, s_yuan(c, k->value_fen),
           ctl_time_or_empty(k->start_ms), ctl_time_or_empty(k->end_ms));
    for (size_t i = 0; i < k->n_milestones; i++)
        printf("milestone %s %s %s\n", k->milestones[i]->id, ctl_time_or_empty(k->milestones[i]->due_ms),
               k->milestones[i]->title);
    return 0;
}

/* "tender milestone OCID MS-ID [--status met|not-met|partially-met]
 * [--percent N] [--text T]": a status change or a progress report. */
static int s_tender_milestone(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"status", 1, 0, 's'}, {"percent", 1, 0, 'p'}, {"text", 1, 0, 't'},
                                         {0, 0, 0, 0}};
    Tendering__MilestoneRequest req = TENDERING__MILESTONE_REQUEST__INIT;
    int o, v, rc;
    bool any = false;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            v = ctl_enum_parse(&tendering__milestone_status__descriptor, optarg, NULL);
            if (v < 0 || v == TENDERING__MILESTONE_STATUS__SCHEDULED)
                return ctl_bad("status", optarg, "wants met, not-met or partially-met");
            req.status = v;
            break;
        case 'p': if ((rc = ctl_opt_u32("percent", optarg, 0, 100, &req.percent))) return rc; break;
        case 't': req.text = optarg; break;
        default: return ctl_usage();
        }
        any = true;
    }
    if (argc - optind != 2) return ctl_usage();
    if (!any) { fprintf(stderr, "hubctl: tender milestone needs --status, --percent or --text\n"); return EXIT_USAGE; }
    req.ocid = argv[optind];
    req.milestone_id = argv[optind + 1];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.milestone.report", &req.base, &p)) || !p) return rc;
    const Tendering__Milestone *m = NULL;
    for (size_t i = 0; p->contract && i < p->contract->n_milestones; i++)
        if (!strcmp(p->contract->milestones[i]->id, req.milestone_id)) m = p->contract->milestones[i];
    printf("%s %s\n", req.milestone_id, m ? s_ms_status(m->status) : "reported");
    return 0;
}

/* "tender pay OCID --amount YUAN [--milestone MS-ID] [--memo M]": a
 * payment under the contract; prints it and what is paid of the value. */
static int s_tender_pay(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"amount", 1, 0, 'a'}, {"milestone", 1, 0, 'm'}, {"memo", 1, 0, 'M'},
                                         {0, 0, 0, 0}};
    Tendering__PaymentRequest req = TENDERING__PAYMENT_REQUEST__INIT;
    int o, rc;
    bool amount = false;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': if ((rc = s_opt_yuan("amount", optarg, &req.amount_fen))) return rc; amount = true; break;
        case 'm': req.milestone_id = optarg; break;
        case 'M': req.memo = optarg; break;
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    if (!amount) { fprintf(stderr, "hubctl: tender pay needs --amount\n"); return EXIT_USAGE; }
    req.ocid = argv[optind];
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.payment.make", &req.base, &p)) || !p) return rc;
    const Tendering__Contract *k = p->contract;
    if (!k || !k->n_payments) { printf("%s paid\n", p->ocid); return 0; }
    const Tendering__Payment *y = k->payments[k->n_payments - 1];
    printf("%s %s yuan (entry %s); paid %s of %s yuan\n", y->id, s_yuan(c, y->amount_fen), y->entry_id,
           s_yuan(c, k->paid_fen), s_yuan(c, k->value_fen));
    return 0;
}

/* "tender close OCID --score N [--early] [--reason R] [--evaluation TEXT]":
 * CONTRACTED -> CLOSED with the post-evaluation (contract.terminate). */
static int s_tender_close(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"early", 0, 0, 'E'}, {"reason", 1, 0, 'r'}, {"score", 1, 0, 's'},
                                         {"evaluation", 1, 0, 'e'}, {0, 0, 0, 0}};
    Tendering__Closure *k = ctl_alloc(c, sizeof *k);
    tendering__closure__init(k);
    int o, rc;
    bool score = false;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'E': k->early = true; break;
        case 'r': k->reason = optarg; break;
        case 's': if ((rc = ctl_opt_u32("score", optarg, 0, 100, &k->post_score))) return rc; score = true; break;
        case 'e': k->post_evaluation = optarg; break;
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    if (!score) { fprintf(stderr, "hubctl: tender close needs --score (0..100)\n"); return EXIT_USAGE; }
    Tendering__TerminateRequest req = TENDERING__TERMINATE_REQUEST__INIT;
    req.ocid = argv[optind];
    req.closure = k;
    Tendering__Process *p;
    if ((rc = s_process_call(c, "tendering.contract.terminate", &req.base, &p)) || !p) return rc;
    printf("%s %s\n", p->ocid, s_state(p->state));
    return 0;
}

/* "tender org ORG-ID": tendering.org.get. */
static int s_tender_org(ctl_t *c, int argc, char **argv)
{
    if (argc != 2) return ctl_usage();
    Tendering__OrgRequest req = TENDERING__ORG_REQUEST__INIT;
    req.id = argv[1];
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "tendering.org.get", &req.base, &tendering__org_reply__descriptor, &rep);
    if (rc) return rc;
    const Tendering__Org *o = ((Tendering__OrgReply *)rep)->org;
    if (c->json || !o) { ctl_print_json(rep); return 0; }
    ctl_kv("organization", o->id);
    ctl_kv("name", o->name);
    ctl_kv("credit code", o->credit_code);
    ctl_kv("legal form", ctl_enum_word(&matching__legal_form__descriptor, (int)o->legal_form, NULL));
    ctl_kv("membership", ctl_enum_word(&matching__membership__descriptor, (int)o->membership, NULL));
    if (o->year_incorporated) ctl_kv("incorporated", ctl_fmt(c, "%u", o->year_incorporated));
    ctl_kv("updated", ctl_time_or_empty(o->updated_ms));
    return 0;
}

/* "tender VERB ...". */
static int cmd_tender(ctl_t *c, int argc, char **argv)
{
    static const struct {
        const char *verb;
        int (*run)(ctl_t *, int, char **);
    } verbs[] = {
        {"create", s_tender_create},       {"update", s_tender_update},   {"publish", s_tender_publish},
        {"amend", s_tender_amend},         {"cancel", s_tender_cancel},   {"show", s_tender_show},
        {"list", s_tender_list},           {"export", s_tender_export},   {"enquiry", s_tender_enquiry},
        {"evaluator", s_tender_evaluator}, {"score", s_tender_score},     {"evaluation", s_tender_evaluation},
        {"award", s_tender_award},         {"activate", s_tender_activate}, {"sign", s_tender_sign},
        {"milestone", s_tender_milestone}, {"pay", s_tender_pay},         {"close", s_tender_close},
        {"org", s_tender_org},
    };
    if (argc < 2) return ctl_usage();
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
        if (!strcmp(argv[1], verbs[i].verb)) return verbs[i].run(c, argc - 1, argv + 1);
    return ctl_usage();
}

/* ------------------------------------------------------------------ bids */

/* Prints a bid as "label  value" lines. */
static void s_bid_print(ctl_t *c, const Tendering__Bid *b)
{
    ctl_kv("bid", b->id);
    ctl_kv("state", s_bid_state(b->state));
    ctl_kv("organization", ctl_fmt(c, "%s %s", b->org_id, b->org_name));
    ctl_kv("price", ctl_fmt(c, "%s yuan", s_yuan(c, b->price_fen)));
    ctl_kv("submitted", ctl_time_or_empty(b->submitted_ms));
    ctl_kv("withdrawn", ctl_time_or_empty(b->withdrawn_ms));
    ctl_kv("disqualified", b->disqualified_reason);
    if (b->rank) ctl_kv("rank", ctl_fmt(c, "%u", b->rank));
    if (b->total_centi || b->rank) ctl_kv("total", s_centi(c, b->total_centi));
    ctl_kv_text("proposal", b->proposal);
    for (size_t i = 0; i < b->n_documents; i++) {
        const Tendering__Document *d = b->documents[i];
        ctl_kv(i ? "" : "documents", ctl_fmt(c, "%s%s%s %s %s", d->title, *d->document_type ? " " : "", d->document_type,
                                           d->url, d->sha256));
    }
}

/* "bid submit OCID --org ORG --price YUAN [--proposal P] [--document D]...":
 * prints the bid's id. */
static int s_bid_submit(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"org", 1, 0, 'o'},      {"price", 1, 0, 'p'}, {"proposal", 1, 0, 'P'},
                                         {"document", 1, 0, 'D'}, {0, 0, 0, 0}};
    Tendering__SubmitBidRequest req = TENDERING__SUBMIT_BID_REQUEST__INIT;
    int o, rc;
    bool price = false;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'o': req.org_id = optarg; break;
        case 'p': if ((rc = s_opt_yuan("price", optarg, &req.price_fen))) return rc; price = true; break;
        case 'P': req.proposal = optarg; break;
        case 'D': {
            Tendering__Document *d = NULL;
            if ((rc = s_parse_document(c, "document", optarg, &d))) return rc;
            ctl_push(c, &req.documents, &req.n_documents, d);
            break;
        }
        default: return ctl_usage();
        }
    }
    if (argc - optind != 1) return ctl_usage();
    if (!*req.org_id || !price) { fprintf(stderr, "hubctl: bid submit needs --org and --price\n"); return EXIT_USAGE; }
    req.ocid = argv[optind];
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "tendering.bid.submit", &req.base, &tendering__bid_reply__descriptor, &rep))) return rc;
    const Tendering__Bid *b = ((Tendering__BidReply *)rep)->bid;
    if (c->json || !b) { ctl_print_json(rep); return 0; }
    printf("%s\n", b->id);
    return 0;
}

/* "bid withdraw OCID BID" | "bid show OCID BID" (refused while the bids
 * are sealed) | "bid disqualify OCID BID --reason R" (during evaluation). */
static int cmd_bid(ctl_t *c, int argc, char **argv)
{
    if (argc < 2) return ctl_usage();
    const char *verb = argv[1];
    if (!strcmp(verb, "submit")) return s_bid_submit(c, argc - 1, argv + 1);
    int rc;
    if (!strcmp(verb, "disqualify")) {
        static const struct option opts[] = {{"reason", 1, 0, 'r'}, {0, 0, 0, 0}};
        Tendering__BidRequest req = TENDERING__BID_REQUEST__INIT;
        int o;
        argc--, argv++;
        optind = 0;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
            if (o != 'r') return ctl_usage();
            req.reason = optarg;
        }
        if (argc - optind != 2) return ctl_usage();
        if (!*req.reason) { fprintf(stderr, "hubctl: bid disqualify needs --reason\n"); return EXIT_USAGE; }
        req.ocid = argv[optind];
        req.bid_id = argv[optind + 1];
        Tendering__Process *p;
        if ((rc = s_process_call(c, "tendering.bid.disqualify", &req.base, &p)) || !p) return rc;
        printf("%s disqualified\n", req.bid_id);
        return 0;
    }
    bool show = !strcmp(verb, "show");
    if ((!show && strcmp(verb, "withdraw")) || argc != 4) return ctl_usage();
    Tendering__BidRequest req = TENDERING__BID_REQUEST__INIT;
    req.ocid = argv[2];
    req.bid_id = argv[3];
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, show ? "tendering.bid.get" : "tendering.bid.withdraw", &req.base,
                       &tendering__bid_reply__descriptor, &rep)))
        return rc;
    const Tendering__Bid *b = ((Tendering__BidReply *)rep)->bid;
    if (c->json || !b) { ctl_print_json(rep); return 0; }
    if (show) s_bid_print(c, b);
    else printf("%s %s\n", b->id, s_bid_state(b->state));
    return 0;
}

/* ------------------------------------------------------------------ funds */

/* "funds contribute --funder ID [--name N] --amount YUAN [--memo M]":
 * money received from a funder; prints the contribution and its entry. */
static int s_funds_contribute(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"funder", 1, 0, 'f'}, {"name", 1, 0, 'n'}, {"amount", 1, 0, 'a'},
                                         {"memo", 1, 0, 'm'},   {0, 0, 0, 0}};
    Tendering__ContributeRequest req = TENDERING__CONTRIBUTE_REQUEST__INIT;
    int o, rc;
    bool amount = false;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'f': req.funder_id = optarg; break;
        case 'n': req.funder_name = optarg; break;
        case 'a': if ((rc = s_opt_yuan("amount", optarg, &req.amount_fen))) return rc; amount = true; break;
        case 'm': req.memo = optarg; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    if (!*req.funder_id || !amount) { fprintf(stderr, "hubctl: funds contribute needs --funder and --amount\n"); return EXIT_USAGE; }
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "tendering.funds.contribute", &req.base, &tendering__contribute_reply__descriptor, &rep)))
        return rc;
    const Tendering__ContributeReply *r = (Tendering__ContributeReply *)rep;
    if (c->json || !r->contribution) { ctl_print_json(rep); return 0; }
    printf("%s %s yuan from %s (entry %s)\n", r->contribution->id, s_yuan(c, r->contribution->amount_fen),
           r->contribution->funder_id, r->contribution->entry_id);
    return 0;
}

/* "funds donate [--donor NAME | --anonymous] --amount YUAN [--memo M]":
 * a donation to the donation box (without --donor it is anonymous). */
static int s_funds_donate(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"donor", 1, 0, 'd'}, {"anonymous", 0, 0, 'A'}, {"amount", 1, 0, 'a'},
                                         {"memo", 1, 0, 'm'},  {0, 0, 0, 0}};
    Tendering__DonateRequest req = TENDERING__DONATE_REQUEST__INIT;
    int o, rc;
    bool amount = false, anonymous = false;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': req.donor_name = optarg; break;
        case 'A': anonymous = true; break;
        case 'a': if ((rc = s_opt_yuan("amount", optarg, &req.amount_fen))) return rc; amount = true; break;
        case 'm': req.memo = optarg; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    if (!amount) { fprintf(stderr, "hubctl: funds donate needs --amount\n"); return EXIT_USAGE; }
    if (anonymous && *req.donor_name) {
        fprintf(stderr, "hubctl: funds donate takes --donor or --anonymous, not both\n");
        return EXIT_USAGE;
    }
    req.anonymous = !*req.donor_name;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "tendering.funds.donate", &req.base, &tendering__donate_reply__descriptor, &rep))) return rc;
    const Tendering__DonateReply *r = (Tendering__DonateReply *)rep;
    if (c->json || !r->donation) { ctl_print_json(rep); return 0; }
    printf("%s %s yuan from %s (entry %s)\n", r->donation->id, s_yuan(c, r->donation->amount_fen),
           r->donation->anonymous ? "an anonymous donor" : r->donation->donor_name, r->donation->entry_id);
    return 0;
}

/* "funds disburse --name N [--phone P] [--address A] --street S --purpose
 * P --amount YUAN": a donation-box payment to a person (whose name, phone
 * and address stay private); prints the disbursement and its entry. */
static int s_funds_disburse(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"name", 1, 0, 'n'},    {"phone", 1, 0, 'p'},   {"address", 1, 0, 'A'},
                                         {"street", 1, 0, 's'},  {"purpose", 1, 0, 'P'}, {"amount", 1, 0, 'a'},
                                         {0, 0, 0, 0}};
    Tendering__Disbursement *d = ctl_alloc(c, sizeof *d);
    tendering__disbursement__init(d);
    int o, rc;
    bool amount = false;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'n': d->recipient_name = optarg; break;
        case 'p': d->recipient_phone = optarg; break;
        case 'A': d->recipient_address = optarg; break;
        case 's': d->street = optarg; break;
        case 'P': d->purpose = optarg; break;
        case 'a': if ((rc = s_opt_yuan("amount", optarg, &d->amount_fen))) return rc; amount = true; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    if (!*d->recipient_name || !*d->street || !*d->purpose || !amount) {
        fprintf(stderr, "hubctl: funds disburse needs --name, --street, --purpose and --amount\n");
        return EXIT_USAGE;
    }
    Tendering__DisburseRequest req = TENDERING__DISBURSE_REQUEST__INIT;
    req.disbursement = d;
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "tendering.funds.disburse", &req.base, &tendering__disburse_reply__descriptor, &rep)))
        return rc;
    const Tendering__DisburseReply *r = (Tendering__DisburseReply *)rep;
    if (c->json || !r->disbursement) { ctl_print_json(rep); return 0; }
    printf("%s %s yuan (entry %s)\n", r->disbursement->id, s_yuan(c, r->disbursement->amount_fen),
           r->disbursement->entry_id);
    return 0;
}

/* "funds balance": every account, the totals and whether the ledger
 * reconciles; exit 1 (also with --json) when it does not. */
static int s_funds_balance(ctl_t *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return ctl_usage();
    Tendering__BalanceRequest req = TENDERING__BALANCE_REQUEST__INIT;
    ProtobufCMessage *rep;
    int rc = ctl_call(c, D, "tendering.funds.balance", &req.base, &tendering__balance_reply__descriptor, &rep);
    if (rc) return rc;
    const Tendering__BalanceReply *b = (Tendering__BalanceReply *)rep;
    if (c->json) {
        ctl_print_json(rep);
        return b->reconciled ? 0 : EXIT_REFUSED;
    }
    table_t *t = table_new(4, "ACCOUNT", "DEBIT (YUAN)", "CREDIT (YUAN)", "BALANCE (YUAN)");
    for (size_t i = 0; i < b->n_accounts; i++) {
        const Tendering__Account *a = b->accounts[i];
        table_row(t, a->name, s_yuan(c, a->debit_fen), s_yuan(c, a->credit_fen), s_yuan(c, a->balance_fen));
    }
    table_print(t, stdout);
    printf("totals: debit %s, credit %s yuan; %llu entries\n", s_yuan(c, b->total_debit_fen),
           s_yuan(c, b->total_credit_fen), (unsigned long long)b->entries);
    if (b->reconciled) { printf("reconciled: yes\n"); return 0; }
    printf("reconciled: NO\n");
    for (size_t i = 0; i < b->n_problems; i++) printf("  %s\n", b->problems[i]);
    return EXIT_REFUSED;
}

/* "funds entries [--account A] [--after ID] [--limit N]": the journal, one
 * row per line of each entry. */
static int s_funds_entries(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"account", 1, 0, 'A'}, {"after", 1, 0, 'a'}, {"limit", 1, 0, 'l'}, {0, 0, 0, 0}};
    Tendering__EntriesRequest req = TENDERING__ENTRIES_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'A': req.account = optarg; break;
        case 'a': req.after_id = optarg; break;
        case 'l': if ((rc = ctl_opt_u32("limit", optarg, 0, UINT32_MAX, &req.limit))) return rc; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "tendering.funds.entries", &req.base, &tendering__entries_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    const Tendering__EntriesReply *l = (Tendering__EntriesReply *)rep;
    table_t *t = table_new(8, "ENTRY", "DATE (CST)", "KIND", "SOURCE", "ACCOUNT", "DEBIT (YUAN)", "CREDIT (YUAN)",
                           "MEMO");
    for (size_t i = 0; i < l->n_entries; i++) {
        const Tendering__Entry *e = l->entries[i];
        for (size_t j = 0; j < e->n_lines || j == 0; j++) {
            const Tendering__Line *ln = j < e->n_lines ? e->lines[j] : NULL;
            table_row(t, j ? "" : e->id, j ? "" : ctl_time_or_empty(e->date_ms), j ? "" : s_entry_kind(e->kind),
                      j ? "" : e->source_id, ln ? ln->account : "",
                      ln && ln->debit_fen ? s_yuan(c, ln->debit_fen) : "",
                      ln && ln->credit_fen ? s_yuan(c, ln->credit_fen) : "", j ? "" : e->memo);
        }
    }
    table_print(t, stdout);
    if (*l->next_after_id)
        printf("more: hubctl funds entries%s%s --after %s\n", *req.account ? " --account " : "", req.account,
               l->next_after_id);
    return 0;
}

/* "funds disclosure [--after ID] [--limit N]": the public list of
 * donation-box disbursements (recipients masked, street only) and totals. */
static int s_funds_disclosure(ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"after", 1, 0, 'a'}, {"limit", 1, 0, 'l'}, {0, 0, 0, 0}};
    Tendering__DisclosureRequest req = TENDERING__DISCLOSURE_REQUEST__INIT;
    int o, rc;
    optind = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': req.after_id = optarg; break;
        case 'l': if ((rc = ctl_opt_u32("limit", optarg, 0, UINT32_MAX, &req.limit))) return rc; break;
        default: return ctl_usage();
        }
    }
    if (optind < argc) return ctl_usage();
    ProtobufCMessage *rep;
    if ((rc = ctl_call(c, D, "tendering.funds.disclosure", &req.base, &tendering__disclosure_reply__descriptor, &rep)))
        return rc;
    if (c->json) { ctl_print_json(rep); return 0; }
    const Tendering__DisclosureReply *l = (Tendering__DisclosureReply *)rep;
    table_t *t = table_new(5, "RECIPIENT", "STREET", "PURPOSE", "AMOUNT (YUAN)", "DATE (CST)");
    for (size_t i = 0; i < l->n_items; i++) {
        const Tendering__DisclosureItem *d = l->items[i];
        table_row(t, d->recipient, d->street, d->purpose, s_yuan(c, d->amount_fen), ctl_time_or_empty(d->date_ms));
    }
    table_print(t, stdout);
    printf("donations: %u, %s yuan; disbursed %s yuan; held %s yuan\n", l->donations, s_yuan(c, l->donations_fen),
           s_yuan(c, l->disbursed_fen), s_yuan(c, l->donations_fen - l->disbursed_fen));
    if (*l->next_after_id) printf("more: hubctl funds disclosure --after %s\n", l->next_after_id);
    return 0;
}

/* "funds VERB ...". */
static int cmd_funds(ctl_t *c, int argc, char **argv)
{
    if (argc < 2) return ctl_usage();
    const char *verb = argv[1];
    argc--, argv++; /* argv[0] is the verb, skipped by getopt */
    if (!strcmp(verb, "contribute")) return s_funds_contribute(c, argc, argv);
    if (!strcmp(verb, "donate")) return s_funds_donate(c, argc, argv);
    if (!strcmp(verb, "disburse")) return s_funds_disburse(c, argc, argv);
    if (!strcmp(verb, "balance")) return s_funds_balance(c, argc, argv);
    if (!strcmp(verb, "entries")) return s_funds_entries(c, argc, argv);
    if (!strcmp(verb, "disclosure")) return s_funds_disclosure(c, argc, argv);
    return ctl_usage();
}

const ctl_command_t ctl_tendering_commands[] = {
    {"tender", cmd_tender},
    {"bid", cmd_bid},
    {"funds", cmd_funds},
    {NULL, NULL},
};
