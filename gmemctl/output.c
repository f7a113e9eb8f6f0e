// SPDX-License-Identifier: GPL-2.0
/*
 * gmemctl: output helpers shared by the commands. The only state is the
 * watch loop's stop flag, which a signal handler must reach.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "gmemctl.h"

int gx_json_emit(struct gmemctl *g, struct gx_json *j)
{
	const char *doc;
	int err = gx_json_finish(j, &doc);

	if (err) {
		gx_err(g, "internal error building JSON output: %s", gmem_strerror(err));
		gx_json_free(j);
		return GX_FAIL;
	}
	gx_json_print(g->out, doc, g->pretty);
	gx_json_free(j);
	return GX_OK;
}

const char *gx_time(uint64_t realtime_ns, char *buf, size_t len)
{
	time_t t = (time_t)(realtime_ns / 1000000000ull);
	struct tm tm;

	if (!realtime_ns || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "-");
	return buf;
}

const char *gx_cstr(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';		/* the kernel's fixed fields need not end in NUL */
	return dst;
}

static void json_exit_info(struct gx_json *j, const char *key, const struct gmem_exit_info *e)
{
	char buf[GMEM_EXIT_MSG_LEN + 1];

	gx_json_obj_begin(j, key);
	gx_json_u64(j, "kind", e->kind);
	gx_json_str(j, "kind_name", gmem_exit_kind_str(e->kind));
	gx_json_u64(j, "when_ns", e->when_ns);
	gx_json_str(j, "policy", gx_cstr(buf, e->policy, sizeof(e->policy)));
	gx_json_str(j, "reason", gx_cstr(buf, e->reason, sizeof(e->reason)));
	gx_json_str(j, "msg", gx_cstr(buf, e->msg, sizeof(e->msg)));
	gx_json_obj_end(j);
}

void gx_json_status(struct gx_json *j, const struct gmem_policy_status *st)
{
	char name[GMEM_NAME_LEN + 1];
	unsigned int r;

	gx_json_bool(j, "active", st->active);
	gx_json_str(j, "name", gx_cstr(name, st->name, sizeof(st->name)));
	gx_json_u64(j, "since_ns", st->since_ns);
	gx_json_u64(j, "hook_calls", st->hook_calls);
	gx_json_u64(j, "hook_ns", st->hook_ns);
	gx_json_obj_begin(j, "rejects");
	for (r = 0; r < GMEM_REJ_NR; r++)
		gx_json_u64(j, gmem_reject_str(r), st->rejects[r]);
	gx_json_obj_end(j);
	gx_json_u64(j, "fallbacks", st->fallbacks);
	gx_json_u64(j, "unattended", st->unattended);
	gx_json_u64(j, "loads", st->loads);
	gx_json_u64(j, "ejections", st->ejections);
	json_exit_info(j, "last_exit", &st->last_exit);
}

void gx_print_exit_info(struct gmemctl *g, FILE *f, const struct gmem_exit_info *e)
{
	char when[64];

	(void)g;
	if (e->kind == GMEM_EXIT_NONE) {
		fprintf(f, "none\n");
		return;
	}
	fprintf(f, "policy '%.*s' %s at %s", GMEM_NAME_LEN, e->policy,
		gmem_exit_kind_str(e->kind), gx_time(e->when_ns, when, sizeof(when)));
	if (e->reason[0])
		fprintf(f, ": %.*s", (int)sizeof(e->reason), e->reason);
	if (e->msg[0])
		fprintf(f, " (%.*s)", GMEM_EXIT_MSG_LEN, e->msg);
	fputc('\n', f);
}

static volatile sig_atomic_t watch_stop;

static void on_watch_stop(int sig)
{
	(void)sig;
	watch_stop = 1;
}

void gx_watch_begin(struct gx_watch *w)
{
	struct sigaction sa = { .sa_handler = on_watch_stop };

	watch_stop = 0;
	sigaction(SIGINT, &sa, &w->old_int);
	sigaction(SIGTERM, &sa, &w->old_term);
}

bool gx_watch_sleep(struct gx_watch *w, uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	(void)w;
	while (!watch_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
	return !watch_stop;
}

void gx_watch_end(struct gx_watch *w)
{
	sigaction(SIGINT, &w->old_int, NULL);
	sigaction(SIGTERM, &w->old_term, NULL);
}
