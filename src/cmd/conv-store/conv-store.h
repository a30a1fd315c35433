/*
 * conv-store.h: what conv-store's files share: the settings of add, the
 * commands each file implements, and the few helpers more than one uses.
 */
#ifndef CONV_STORE_H
#define CONV_STORE_H

#include "store.h"

/* main.c */
extern int expire_days;	/* add -e */
extern int quiet;	/* add -q */
_Noreturn void usage(int status);
int store_status(int rc, const char *what);

/* twin.c: in the static conv-store alone (else NULL) */
int store_twin(char **argv) __attribute__((weak));

/* streams.c */
int apply_add(struct store *st, struct store_txn *txn, struct item *it, void *ctx);
int apply_record(struct store *st, struct store_txn *txn, struct item *it, void *ctx);
int apply_reply(struct store *st, struct store_txn *txn, struct item *it, void *ctx);
int apply_load(struct store *st, struct store_txn *txn, struct item *it, void *ctx);
void add_options(int argc, char **argv);
int opt_out_all(struct store *st, struct store_txn *txn, const char *phone,
    const char *except, int64_t now);
int note_all(struct store *st, struct store_txn *txn, const char *phone, const char *action,
    int64_t now);

/* operator.c */
int cmd_cancel(struct store *st, int argc, char **argv);
int cmd_stop(struct store *st, int argc, char **argv);
int cmd_resolve(struct store *st, int argc, char **argv);
int cmd_retry(struct store *st, int argc, char **argv);
int cmd_set_phone(struct store *st, int argc, char **argv);
int cmd_note(struct store *st, int argc, char **argv);
int cmd_send(struct store *st, int argc, char **argv);
int cmd_optout(struct store *st, int argc, char **argv);
int cmd_optin(struct store *st, int argc, char **argv);

/* reads.c */
int option_time(const char *opt, const char *arg, int64_t *out);
int cmd_get(struct store *st, int argc, char **argv);
int cmd_list(struct store *st, int argc, char **argv);
int cmd_dump(struct store *st, int argc, char **argv);
int cmd_export(struct store *st, int argc, char **argv);

/* human.c: tables for people */
void human_header(void);
void human_row(jv conv);
int cmd_inbox(struct store *st, int argc, char **argv);

/* feed.c: the change feed */
int cmd_changes(struct store *st, int argc, char **argv);
int changes_days(const char *opt, long *days);
int purge_changes(struct store *st, long days, int64_t now);
int dump_changes(struct store *st, struct store_txn *txn);

/* report.c */
int cmd_report(struct store *st, int argc, char **argv);

/* health.c: the monitoring-plugins states */
int cmd_health(struct store *st, int argc, char **argv);
int cmd_stats(struct store *st, int argc, char **argv);

#endif
