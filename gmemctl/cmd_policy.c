// SPDX-License-Identifier: GPL-2.0
/* gmemctl status / policies. */
#include <errno.h>
#include <string.h>

#include "gmemctl.h"

static void print_status(struct gmemctl *g, const struct gmem_policy_status *st,
			 const char *pinned)
{
	char name[GMEM_NAME_LEN + 1], when[64];
	unsigned int r, shown = 0;

	gx_cstr(name, st->name, sizeof(st->name));
	/*
	 * Two names: the ops name the policy gives itself (the kernel's and
	 * status's) and the pin name, from its file (what was loaded, and what
	 * unload takes). Both are shown, and unload accepts either.
	 */
	if (st->active && pinned && strcmp(pinned, name))
		fprintf(g->out, "policy:      %s (BPF; pinned as %s)\n", name, pinned);
	else if (st->active)
		fprintf(g->out, "policy:      %s (BPF)\n", name);
	else
		fprintf(g->out, "policy:      builtin (no BPF policy attached)\n");
	if (st->active) {
		fprintf(g->out, "since:       %s\n", gx_time(st->since_ns, when, sizeof(when)));
		fprintf(g->out, "pinned:      %s%s%s\n", pinned ? gmem_pin_dir() : "no",
			pinned ? "/" : "", pinned ? pinned : "");
	}
	fprintf(g->out, "hook calls:  %llu", (unsigned long long)st->hook_calls);
	if (st->hook_calls)
		fprintf(g->out, " (avg %llu ns)",
			(unsigned long long)(st->hook_ns / st->hook_calls));
	fprintf(g->out, "\nfallbacks:   %llu\nunattended:  %llu\nrejected:   ",
		(unsigned long long)st->fallbacks, (unsigned long long)st->unattended);
	for (r = 0; r < GMEM_REJ_NR; r++) {
		if (!st->rejects[r])
			continue;
		fprintf(g->out, " %s=%llu", gmem_reject_str(r), (unsigned long long)st->rejects[r]);
		shown++;
	}
	fprintf(g->out, "%s\n", shown ? "" : " none");
	fprintf(g->out, "loads:       %llu\nejections:   %llu\nlast exit:   ",
		(unsigned long long)st->loads, (unsigned long long)st->ejections);
	gx_print_exit_info(g, g->out, &st->last_exit);
}

#define MAX_ATTACH	64

/* Every attachment (GMEM_IOC_POLICY_LIST): system-wide and per cgroup. */
static void print_attachments(struct gmemctl *g, const struct gmem_policy_attach *a, int n)
{
	char name[GMEM_NAME_LEN + 1], where[48];
	int i;

	fprintf(g->out, "attachments: %d\n", n);
	for (i = 0; i < n && i < MAX_ATTACH; i++) {
		if (a[i].cgroup_id)
			snprintf(where, sizeof(where), "cgroup %llu", (unsigned long long)a[i].cgroup_id);
		else
			snprintf(where, sizeof(where), "system-wide");
		fprintf(g->out, "  %-20s %-22s %-8s hook calls %llu, rejected %llu\n",
			gx_cstr(name, a[i].name, sizeof(a[i].name)), where,
			a[i].active ? "active" : "ejected", (unsigned long long)a[i].hook_calls,
			(unsigned long long)a[i].rejects);
		if (!a[i].active) {
			fprintf(g->out, "    exit: ");
			gx_print_exit_info(g, g->out, &a[i].exit);
		}
	}
}

static void json_attachments(struct gx_json *j, const struct gmem_policy_attach *a, int n)
{
	char name[GMEM_NAME_LEN + 1];
	int i;

	gx_json_arr_begin(j, "attachments");
	for (i = 0; i < n && i < MAX_ATTACH; i++) {
		gx_json_obj_begin(j, NULL);
		gx_json_str(j, "name", gx_cstr(name, a[i].name, sizeof(a[i].name)));
		gx_json_u64(j, "cgroup_id", a[i].cgroup_id);
		gx_json_bool(j, "active", a[i].active);
		gx_json_u64(j, "since_ns", a[i].since_ns);
		gx_json_u64(j, "hook_calls", a[i].hook_calls);
		gx_json_u64(j, "hook_ns", a[i].hook_ns);
		gx_json_u64(j, "rejects", a[i].rejects);
		gx_json_str(j, "exit", gmem_exit_kind_str(a[i].exit.kind));
		gx_json_obj_end(j);
	}
	gx_json_arr_end(j);
}

int cmd_status(struct gmemctl *g, int argc, char **argv)
{
	struct gmem_policy_attach att[MAX_ATTACH];
	int nr_att;
	struct gmem_policy_status st;
	char pin[GMEM_POLICY_NAME_MAX + 256];
	struct gx_json j;
	int err, pinned;

	if (argc > 1)
		return gx_usage(g, "status", "unexpected argument '%s'", argv[1]);
	err = gmem_policy_status(&st);
	if (err)
		return gx_fail(g, err, "cannot read the policy status");
	pinned = gmem_policy_pinned(pin, sizeof(pin));
	nr_att = gmem_policy_list(att, MAX_ATTACH);
	if (nr_att < 0)
		return gx_fail(g, nr_att, "cannot list the policy attachments");
	if (g->json) {
		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_status(&j, &st);
		json_attachments(&j, att, nr_att);
		if (pinned > 0)
			gx_json_str(&j, "pinned", pin);	/* the pin name; "name" is the ops name */
		else
			gx_json_null(&j, "pinned");
		gx_json_obj_end(&j);
		return gx_json_emit(g, &j);
	}
	print_status(g, &st, pinned > 0 ? pin : NULL);
	print_attachments(g, att, nr_att);
	return GX_OK;
}

/* ------------------------------------------------------------------ */

struct list_ctx {
	struct gmemctl *g;
	struct gx_json *j;
	bool verbose;
	const char *only;
	int shown;
};

static const char *type_name(enum gmem_tunable_type t)
{
	switch (t) {
	case GMEM_TUN_INT:	return "int";
	case GMEM_TUN_UINT:	return "uint";
	case GMEM_TUN_BOOL:	return "bool";
	case GMEM_TUN_STR:	return "string";
	}
	return "?";
}

static void show_tunables(struct list_ctx *c, const struct gmem_policy *p)
{
	struct gmem_tunable_info t;
	int i, n = gmem_policy_nr_tunables(p);

	if (c->j)
		gx_json_arr_begin(c->j, "tunables");
	else if (!n)
		fprintf(c->g->out, "    (no tunables)\n");
	for (i = 0; i < n; i++) {
		if (gmem_policy_tunable(p, i, &t))
			continue;
		if (!c->j) {
			fprintf(c->g->out, "    %-24s %-6s %2u bytes  default %s\n",
				t.name, type_name(t.type), t.size, t.value);
			continue;
		}
		gx_json_obj_begin(c->j, NULL);
		gx_json_str(c->j, "name", t.name);
		gx_json_str(c->j, "type", type_name(t.type));
		gx_json_u64(c->j, "size", t.size);
		gx_json_str(c->j, "default", t.value);
		gx_json_obj_end(c->j);
	}
	if (c->j)
		gx_json_arr_end(c->j);
}

static int show_policy(const char *name, const char *path, void *arg)
{
	struct list_ctx *c = arg;
	struct gmem_policy *p;

	if (c->only && strcmp(c->only, name))
		return 0;
	/* Other BPF objects may share the folder: list policies only. */
	if (gmem_policy_open(path, &p))
		return 0;
	c->shown++;
	if (c->j) {
		gx_json_obj_begin(c->j, NULL);
		gx_json_str(c->j, "name", name);
		gx_json_str(c->j, "description", gmem_policy_desc(p));
		gx_json_str(c->j, "path", path);
		show_tunables(c, p);
		gx_json_obj_end(c->j);
	} else {
		fprintf(c->g->out, "%-20s %s\n", name,
			gmem_policy_desc(p)[0] ? gmem_policy_desc(p) : "(no description)");
		if (c->verbose) {
			fprintf(c->g->out, "    file: %s\n", path);
			show_tunables(c, p);
		}
	}
	gmem_policy_close(p);
	return 0;
}

int cmd_policies(struct gmemctl *g, int argc, char **argv)
{
	struct list_ctx c = { .g = g };
	struct gx_json j;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (gx_is_opt(g, i, argv[i]) &&
		    (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")))
			c.verbose = true;
		else if (gx_is_opt(g, i, argv[i]))
			return gx_usage(g, "policies", "unknown option '%s'", argv[i]);
		else if (c.only)
			return gx_usage(g, "policies", "one policy name at most");
		else
			c.only = argv[i];
	}
	c.verbose |= c.only != NULL;
	if (g->json) {
		gx_json_init(&j);
		c.j = &j;
		gx_json_arr_begin(&j, NULL);
	}
	err = gmem_policy_foreach(show_policy, &c);
	if (err) {
		if (c.j)
			gx_json_free(&j);
		return gx_fail(g, err, "cannot list policies");
	}
	if (c.j) {
		gx_json_arr_end(&j);
		if (c.only && !c.shown) {
			gx_json_free(&j);
		} else {
			return gx_json_emit(g, &j);
		}
	}
	if (c.only && !c.shown) {
		gx_err(g, "no policy named '%s' in the search path", c.only);
		return GX_NOPOLICY;
	}
	if (!c.shown && !g->json)
		fprintf(g->out, "no policies found (search path: $GMEM_POLICY_DIR, then %s)\n",
			gmem_policy_share_dir());
	return GX_OK;
}
