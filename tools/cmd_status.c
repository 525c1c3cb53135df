/*
 * cmd_status.c - `jfsadm status`, two views:
 *
 *   jfsadm status [--mounts] [--json]
 *	the jfs volumes mounted on this host, from the kernel module over
 *	generic netlink (genl_status.c): ids, session, jfsd state, bytes
 *	and per-op counters, as a table or as JSON;
 *   jfsadm status META-URL
 *	the volume's setting (secrets shown as "removed"), its client
 *	sessions and its usage, as one JSON object shaped like
 *	`juicefs status` output, plus "Mounts": this host's mounts of that
 *	volume (matched by UUID) when the kernel module is loaded.
 *
 * The volume view is a table of sections, each built by one function.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "genl_status.h"
#include "jfsadm.h"
#include "util/opnames.h"
#include "volume/volume.h"

static const char usage[] = "jfsadm status [--mounts] [--json] | jfsadm status META-URL";

struct status_ctx {
	struct meta *m;
	const char *shown;	/* the META-URL, password hidden */
	struct setting *s;
};

struct section {
	const char *name;
	int (*build)(struct status_ctx *c, json_object **out);
};

/* Go's time.Time JSON form: RFC 3339 in local time, "Z" for UTC. */
static json_object *rfc3339(int64_t t)
{
	time_t tt = t;
	struct tm tm;
	char buf[64], zone[24];
	long off;

	if (!localtime_r(&tt, &tm))
		return json_object_new_int64(t);
	off = tm.tm_gmtoff / 60;
	if (!off)
		snprintf(zone, sizeof(zone), "Z");
	else
		snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+',
			 labs(off) / 60, labs(off) % 60);
	strftime(buf, sizeof(buf) - sizeof(zone), "%Y-%m-%dT%H:%M:%S", &tm);
	strcat(buf, zone);
	return json_object_new_string(buf);
}

/* ---- this host's mounts (kernel counters) ---------------------------- */

static double avg_us(const struct genl_op_stat *st)
{
	return st->count ? (double)st->latency_ns / st->count / 1000.0 : 0;
}

static json_object *mount_to_json(const struct genl_mount *mt)
{
	json_object *o = json_object_new_object(), *ops = json_object_new_array();
	const char *name;
	char code[16];
	size_t i;

	json_object_object_add(o, "MountId", json_object_new_uint64(mt->mount_id));
	json_object_object_add(o, "Volume", json_object_new_string(mt->volume));
	json_object_object_add(o, "UUID", json_object_new_string(mt->uuid));
	json_object_object_add(o, "URL", json_object_new_string(mt->url));
	json_object_object_add(o, "Sid", json_object_new_uint64(mt->sid));
	json_object_object_add(o, "Helper", json_object_new_boolean(mt->helper));
	json_object_object_add(o, "ReadOnly", json_object_new_boolean(mt->rdonly));
	json_object_object_add(o, "InFlight", json_object_new_uint64(mt->inflight));
	json_object_object_add(o, "BytesIn", json_object_new_uint64(mt->bytes_in));
	json_object_object_add(o, "BytesOut", json_object_new_uint64(mt->bytes_out));
	for (i = 0; i < mt->nops; i++) {
		const struct genl_op_stat *st = &mt->ops[i];
		json_object *op = json_object_new_object();

		name = jfs_opname(st->code);
		if (!name) {
			snprintf(code, sizeof(code), "op%u", st->code);
			name = code;
		}
		json_object_object_add(op, "Op", json_object_new_string(name));
		json_object_object_add(op, "Code", json_object_new_int64(st->code));
		json_object_object_add(op, "Count", json_object_new_uint64(st->count));
		json_object_object_add(op, "Errors", json_object_new_uint64(st->errors));
		json_object_object_add(op, "LatencyNs", json_object_new_uint64(st->latency_ns));
		json_object_object_add(op, "AvgLatencyUs",
				       json_object_new_uint64((uint64_t)(avg_us(st) + 0.5)));
		json_object_object_add(op, "EngineCmds", json_object_new_uint64(st->engine_cmds));
		json_object_object_add(op, "EngineRoundTrips",
				       json_object_new_uint64(st->engine_rtts));
		json_object_array_add(ops, op);
	}
	json_object_object_add(o, "Ops", ops);
	return o;
}

static void print_mount(const struct genl_mount *mt)
{
	const char *name;
	size_t i;

	printf("mount %llu: volume '%s'\n", (unsigned long long)mt->mount_id, mt->volume);
	printf("  uuid:       %s\n", mt->uuid);
	printf("  url:        %s\n", mt->url);
	printf("  session:    %llu\n", (unsigned long long)mt->sid);
	printf("  jfsd:       %s\n", mt->helper ? "attached" : "not attached");
	printf("  read-only:  %s\n", mt->rdonly ? "yes" : "no");
	printf("  in-flight:  %llu\n", (unsigned long long)mt->inflight);
	printf("  bytes in:   %llu\n", (unsigned long long)mt->bytes_in);
	printf("  bytes out:  %llu\n", (unsigned long long)mt->bytes_out);
	if (!mt->nops) {
		printf("  (no operations yet)\n");
		return;
	}
	printf("  %-12s %12s %10s %12s %9s %9s\n", "OP", "COUNT", "ERRORS", "AVG(us)",
	       "CMDS/OP", "RTTS/OP");
	for (i = 0; i < mt->nops; i++) {
		const struct genl_op_stat *st = &mt->ops[i];

		name = jfs_opname(st->code);
		if (name)
			printf("  %-12s", name);
		else
			printf("  op%-10u", st->code);
		printf(" %12llu %10llu %12.1f %9.2f %9.2f\n", (unsigned long long)st->count,
		       (unsigned long long)st->errors, avg_us(st),
		       (double)st->engine_cmds / st->count,
		       (double)st->engine_rtts / st->count);
	}
}

static int show_mounts(bool json)
{
	struct genl_mounts ms;
	json_object *top, *arr;
	char err[256];
	size_t i;
	int ret;

	ret = genl_status_get_mounts(&ms, err, sizeof(err));
	if (ret)
		return jfsadm_error("%s", err);
	if (json) {
		top = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < ms.n; i++)
			json_object_array_add(arr, mount_to_json(&ms.v[i]));
		json_object_object_add(top, "Mounts", arr);
		printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	} else if (!ms.n) {
		printf("no jfs volume is mounted\n");
	} else {
		for (i = 0; i < ms.n; i++) {
			if (i)
				putchar('\n');
			print_mount(&ms.v[i]);
		}
	}
	genl_mounts_release(&ms);
	return JFSADM_OK;
}

/* ---- one volume (META-URL) ---------------------------------------- */

static int build_setting(struct status_ctx *c, json_object **out)
{
	char *json = NULL;

	if (setting_remove_secrets(c->s) || setting_to_json(c->s, &json))
		return jfsadm_error("%s", jfs_errmsg());
	*out = json_tokener_parse(json);
	free(json);
	return *out ? JFSADM_OK : jfsadm_error("cannot re-read the setting");
}

/* pkg/meta Session: Sid, Expire, the SessionInfo fields, Sustained */
static int build_sessions(struct status_ctx *c, json_object **out)
{
	struct meta_session_info *ss = NULL;
	size_t n = 0, i, j;
	int ret;

	ret = meta_list_sessions(c->m, &ss, &n);
	if (ret)
		return jfsadm_error("cannot list the sessions of '%s': %s", c->shown,
				    jfs_errmsg());
	*out = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object(), *info = NULL;

		json_object_object_add(o, "Sid", json_object_new_uint64(ss[i].sid));
		json_object_object_add(o, "Expire", rfc3339(ss[i].expire));
		if (ss[i].info)
			info = json_tokener_parse(ss[i].info);
		if (info && json_object_is_type(info, json_type_object)) {
			json_object_object_foreach(info, k, v)
				json_object_object_add(o, k, json_object_get(v));
		} else if (ss[i].info) {
			/* shown as stored rather than dropped */
			json_object_object_add(o, "Info", json_object_new_string(ss[i].info));
		}
		json_object_put(info);
		if (ss[i].nsustained) {
			json_object *a = json_object_new_array();

			for (j = 0; j < ss[i].nsustained; j++)
				json_object_array_add(a, json_object_new_uint64(ss[i].sustained[j]));
			json_object_object_add(o, "Sustained", a);
		}
		json_object_array_add(*out, o);
	}
	meta_free_sessions(ss, n);
	return JFSADM_OK;
}

/* The totals `df` shows, computed as JuiceFS baseMeta.StatFS does. */
static int build_statistic(struct status_ctx *c, json_object **out)
{
	uint64_t used = 0, iused = 0, total, iavail;
	int ret;

	ret = meta_statfs(c->m, &used, &iused);
	if (ret)
		return jfsadm_error("cannot read the usage of '%s': %s", c->shown, jfs_errmsg());
	if (c->s->capacity) {
		total = c->s->capacity > used ? c->s->capacity : used;
	} else {
		/* unlimited: 1 PiB, doubled while more than 80% is used */
		total = 1ULL << 50;
		while (total * 8 < used * 10)
			total *= 2;
	}
	if (c->s->inodes) {
		iavail = c->s->inodes > iused ? c->s->inodes - iused : 0;
	} else {
		iavail = 10 << 20;
		while (iused * 10 > (iused + iavail) * 8)
			iavail *= 2;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "UsedSpace", json_object_new_uint64(used));
	json_object_object_add(*out, "AvailableSpace", json_object_new_uint64(total - used));
	json_object_object_add(*out, "UsedInodes", json_object_new_uint64(iused));
	json_object_object_add(*out, "AvailableInodes", json_object_new_uint64(iavail));
	return JFSADM_OK;
}

/*
 * This host's mounts of the volume; left out (*out stays NULL) when the
 * kernel module is not loaded, so the output is then what it always was.
 */
static int build_mounts(struct status_ctx *c, json_object **out)
{
	struct genl_mounts ms;
	char err[256];
	size_t i;
	int ret;

	ret = genl_status_get_mounts(&ms, err, sizeof(err));
	if (ret == -ENOENT)
		return JFSADM_OK;
	if (ret) {
		jfsadm_warning("local mounts not shown: %s", err);
		return JFSADM_OK;
	}
	*out = json_object_new_array();
	for (i = 0; i < ms.n; i++)
		if (c->s->uuid && !strcmp(ms.v[i].uuid, c->s->uuid))
			json_object_array_add(*out, mount_to_json(&ms.v[i]));
	genl_mounts_release(&ms);
	return JFSADM_OK;
}

static const struct section sections[] = {
	{ "Setting", build_setting },
	{ "Sessions", build_sessions },
	{ "Statistic", build_statistic },
	{ "Mounts", build_mounts },
};

static int status(struct status_ctx *c)
{
	json_object *top = json_object_new_object(), *v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		v = NULL;
		ret = sections[i].build(c, &v);
		if (ret)
			goto out;
		if (v)
			json_object_object_add(top, sections[i].name, v);
	}
	printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	ret = JFSADM_OK;
out:
	json_object_put(top);
	return ret;
}

int cmd_status(int argc, char **argv)
{
	struct status_ctx c = { 0 };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "mounts", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	bool json = false, mounts = false;
	struct volume *v;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			printf("usage: %s\n", usage);
			return JFSADM_OK;
		case 'j':
			json = true;
			break;
		case 'm':
			mounts = true;
			break;
		default:
			return jfsadm_bad_option(usage, opt, argv);
		}
	}
	if (argc - optind > 1)
		return jfsadm_usage_error(usage, "too many arguments");
	if (argc == optind)
		return show_mounts(json);
	if (mounts)
		return jfsadm_usage_error(usage, "--mounts takes no META-URL");
	/* a volume's status is always JSON: --json is accepted and changes nothing */
	/* whatever the setting, status shows it: VOLUME_ANY */
	ret = jfsadm_open_volume(argv[optind], VOLUME_RDONLY | VOLUME_ANY, &v);
	if (ret)
		return ret;
	c.m = v->meta;
	c.s = &v->setting;
	c.shown = v->shown;
	ret = status(&c);
	volume_close(v);
	return ret;
}
