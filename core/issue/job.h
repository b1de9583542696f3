/*
 * One certificate end to end, as `issue` runs it and as `renew` runs it for
 * each certificate that is due: DNS and the plugin, the leftovers of a
 * killed run, the account, the flow, the certificate into its sink, the
 * renewal record, the deploy hook. Deciding whether the certificate is due
 * is the caller's (da_issue_due()).
 */
#ifndef DA_ISSUE_JOB_H
#define DA_ISSUE_JOB_H

#include <signal.h>

#include "issue/issue.h"
#include "issue/session.h"
#include "store/sink.h"

/* Everything borrowed for the call. */
struct da_issue_job {
	struct da_issue_request request; /* names normalized (da_issue_names()) */
	struct da_sink *sink;		 /* open; where the certificate goes */
	const char *out;		 /* the sink's directory, or NULL: the record and the hook name it */
	const char *secret;		 /* or the sink's Secret, "NAMESPACE/NAME" */
	const char *deploy_hook;	 /* or NULL */
	long deploy_hook_timeout;	 /* seconds */
};

/*
 * Run job in session (da_session_init() done; DNS, plugin and account are
 * opened here). On DA_OK the certificate is in the sink, its record saved and
 * the hook has run; *issued holds what was issued (da_issued_free(), also
 * after a failure). *in_place is set once the certificate is in the sink: a
 * record or hook failing after that fails the job with the certificate in
 * place, and the message says so.
 */
enum da_code da_issue_job_run(struct da_session *session, const struct da_issue_job *job,
			      struct da_issued *issued, int *in_place, struct da_err *err);

/*
 * Names as the CA and the CSR will see them: each checked, lower case, no
 * trailing dot, none twice; *out holds n of them (da_issue_names_free()).
 * DA_ERR_USAGE naming the bad one, or when there is none.
 */
enum da_code da_issue_names(const char *const *given, size_t n, char ***out, struct da_err *err);
void da_issue_names_free(char **names, size_t n);

#endif
